//! `regexp`, on the `regex` crate (RE2 syntax, as Go's). Differences: `\w`,
//! `\d`, `\s` and `\b` are Unicode-aware here, ASCII in Go.

use regex::Regex;

use super::{Builtin, function, int_arg, str_arg, string, strings_list, validator};
use crate::data::Data;

const P: &str = "regexp";

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|error| {
        let detail = error.to_string();
        let last = detail.lines().last().unwrap_or("").trim().trim_start_matches("error: ");
        format!("error parsing regexp: {last}: `{pattern}`")
    })
}

fn no_match() -> String {
    "no match".to_string()
}

/// Go's `n` argument: negative means all.
fn limit(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn group_list(captures: &regex::Captures<'_>) -> Data {
    strings_list(captures.iter().map(|group| group.map_or("", |m| m.as_str())))
}

fn named(regex: &Regex, captures: &regex::Captures<'_>) -> Data {
    let mut fields: Vec<(String, Data)> = regex
        .capture_names()
        .flatten()
        .map(|name| (name.to_string(), string(captures.name(name).map_or("", |m| m.as_str()))))
        .collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    Data::Struct(fields)
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    validator(P, "Valid", 1, |a| compile(str_arg(a, 0)?).map(|_| Data::Bool(true))),
    function(P, "Find", 2, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        regex.find(str_arg(a, 1)?).map(|m| string(m.as_str())).ok_or_else(no_match)
    }),
    function(P, "FindAll", 3, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        let found: Vec<&str> = regex
            .find_iter(str_arg(a, 1)?)
            .take(limit(int_arg(a, 2)?))
            .map(|m| m.as_str())
            .collect();
        if found.is_empty() {
            return Err(no_match());
        }
        Ok(strings_list(found))
    }),
    function(P, "FindSubmatch", 2, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        regex.captures(str_arg(a, 1)?).map(|c| group_list(&c)).ok_or_else(no_match)
    }),
    function(P, "FindAllSubmatch", 3, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        let found: Vec<Data> = regex
            .captures_iter(str_arg(a, 1)?)
            .take(limit(int_arg(a, 2)?))
            .map(|c| group_list(&c))
            .collect();
        if found.is_empty() {
            return Err(no_match());
        }
        Ok(Data::List(found))
    }),
    function(P, "FindNamedSubmatch", 2, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        regex.captures(str_arg(a, 1)?).map(|c| named(&regex, &c)).ok_or_else(no_match)
    }),
    function(P, "FindAllNamedSubmatch", 3, |a| {
        let regex = compile(str_arg(a, 0)?)?;
        let found: Vec<Data> = regex
            .captures_iter(str_arg(a, 1)?)
            .take(limit(int_arg(a, 2)?))
            .map(|c| named(&regex, &c))
            .collect();
        if found.is_empty() {
            return Err(no_match());
        }
        Ok(Data::List(found))
    }),
    validator(P, "Match", 2, |a| Ok(Data::Bool(compile(str_arg(a, 0)?)?.is_match(str_arg(a, 1)?)))),
    function(P, "QuoteMeta", 1, |a| {
        let mut out = String::new();
        for c in str_arg(a, 0)?.chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(string(out))
    }),
];

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("regexp", name, args))
    }

    #[test]
    fn regexp_like_the_reference() {
        assert_eq!(t("Find", vec![s("[0-9]+"), s("ab123cd45")]), r#""123""#);
        assert_eq!(t("FindAll", vec![s("[a-z]"), s("a1b2c3"), n("-1")]), r#"["a","b","c"]"#);
        assert_eq!(t("Match", vec![s("^a"), s("abc")]), "true");
        assert_eq!(t("QuoteMeta", vec![s("a.b*c")]), r#""a\\.b\\*c""#);
        assert_eq!(
            t("FindSubmatch", vec![s(r"(\w+)@(\w+)"), s("me@host")]),
            r#"["me@host","me","host"]"#
        );
        assert_eq!(
            t("FindNamedSubmatch", vec![s(r"(?P<user>\w+)@(?P<host>[\w.]+)"), s("admin@db.local")]),
            r#"{host:"db.local",user:"admin"}"#
        );
        assert_eq!(
            t("Find", vec![s("[0-9]+"), s("abc")]),
            "error: error in call to regexp.Find: no match"
        );
        assert!(
            t("Valid", vec![s("a(")])
                .starts_with("error: error in call to regexp.Valid: error parsing regexp")
        );
    }
}
