//! `text/template`: `Execute` runs a Go template over CUE data;
//! `HTMLEscape` and `JSEscape` escape text as Go's `template` package does.
//!
//! The template language is the subset described in `parse.rs`; execution,
//! the values a template sees and printing are in `exec.rs` and
//! `format.rs`. Today's CUE and v0.4 run Go's own package; the tests here
//! compare with the reference's output.

mod exec;
mod format;
mod parse;

use super::{Builtin, arg, function, str_arg, string};

const P: &str = "text/template";

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "Execute", 2, |a| {
        let nodes =
            parse::parse(str_arg(a, 0)?).map_err(|message| format!("template: {message}"))?;
        let data = format::Value::from_data(arg(a, 1)?);
        exec::execute(&nodes, data).map(string).map_err(|message| format!("template: {message}"))
    }),
    function(P, "HTMLEscape", 1, |a| Ok(string(format::html_escape(str_arg(a, 0)?)))),
    function(P, "JSEscape", 1, |a| Ok(string(format::js_escape(str_arg(a, 0)?)))),
];

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    fn run(template: &str, data: Data) -> String {
        text(call("text/template", "Execute", vec![s(template), data]))
    }

    fn fields(items: Vec<(&str, Data)>) -> Data {
        Data::Struct(items.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn templates() {
        let data = fields(vec![("name", s("x")), ("items", list(vec![n("1"), n("2")]))]);
        assert_eq!(
            run("Hello {{.name}}! {{range .items}}[{{.}}]{{end}}", data),
            r#""Hello x! [1][2]""#
        );
        assert_eq!(
            run("{{.a.b}}", fields(vec![("a", n("1"))])),
            r#"error: error in call to text/template.Execute: template: can't evaluate field b in type interface {}"#
        );
        assert_eq!(
            run("{{.b}}", n("1")),
            r#"error: error in call to text/template.Execute: template: can't evaluate field b in type int"#
        );
        assert_eq!(
            run("{{if}}", Data::Null),
            "error: error in call to text/template.Execute: template: missing value for command"
        );
        assert_eq!(
            run("{{range .}}x", Data::Null),
            "error: error in call to text/template.Execute: template: missing {{end}} of {{range}}"
        );
        assert_eq!(
            run("{{template \"x\"}}", Data::Null),
            "error: error in call to text/template.Execute: template: {{template}} is not supported"
        );
        assert_eq!(
            run("{{nope 1}}", Data::Null),
            r#"error: error in call to text/template.Execute: template: function "nope" not defined"#
        );
        assert_eq!(
            run("{{.x", Data::Null),
            "error: error in call to text/template.Execute: template: unclosed action"
        );
        assert_eq!(run("{{$x := 1}}{{$x = 2}}{{$x}} {{(len \"abc\")}}", Data::Null), r#""2 3""#);
    }
}
