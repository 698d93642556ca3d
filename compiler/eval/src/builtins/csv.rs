//! `encoding/csv`: comma-separated values as Go's `encoding/csv` reads and
//! writes them with its defaults (comma separator, `"` quoting with `""` for
//! a quote, every record as long as the first, blank lines skipped, `\r\n`
//! read as `\n`, `\n` written).
//!
//! `Encode` takes a list of lists; a field that is not a string is written
//! as its JSON text, as the reference does.

use super::{Builtin, bytes_arg, function, list_arg, string};
use crate::data::Data;

const P: &str = "encoding/csv";

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "Decode", 1, |a| {
        let input = bytes_arg(a, 0)?;
        let text = String::from_utf8_lossy(&input);
        let records = decode(&text)?;
        Ok(Data::List(
            records
                .into_iter()
                .map(|record| Data::List(record.into_iter().map(Data::String).collect()))
                .collect(),
        ))
    }),
    function(P, "Encode", 1, |a| {
        let mut out = String::new();
        for (index, row) in list_arg(a, 0)?.iter().enumerate() {
            let Data::List(fields) = row else {
                return Err(format!(
                    "cannot use value {} (type {}) as list (row {index})",
                    super::cue_text(row),
                    row.kind_name()
                ));
            };
            for (column, field) in fields.iter().enumerate() {
                if column > 0 {
                    out.push(',');
                }
                match field {
                    Data::String(text) => write_field(&mut out, text),
                    other => write_field(&mut out, &super::encoding::marshal(other)),
                }
            }
            out.push('\n');
        }
        Ok(string(out))
    }),
];

fn write_field(out: &mut String, field: &str) {
    let needs_quotes = !field.is_empty()
        && (field == r"\."
            || field.contains([',', '"', '\r', '\n'])
            || field.chars().next().is_some_and(char::is_whitespace));
    if !needs_quotes {
        out.push_str(field);
        return;
    }
    out.push('"');
    out.push_str(&field.replace('"', "\"\""));
    out.push('"');
}

/// The records of `text`, or Go's message for the first malformed one.
fn decode(text: &str) -> Result<Vec<Vec<String>>, String> {
    let normalized = text.replace("\r\n", "\n");
    let mut lines =
        normalized.split_inclusive('\n').map(|line| line.strip_suffix('\n').unwrap_or(line));
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut line_number = 0usize;
    let mut fields_per_record: Option<usize> = None;
    while let Some(first_line) = lines.next() {
        line_number += 1;
        if first_line.is_empty() {
            continue;
        }
        let record_line = line_number;
        let mut record = Vec::new();
        let mut line = first_line;
        // The byte in `line` where the next field starts.
        let mut position = 0;
        'fields: loop {
            if !line[position..].starts_with('"') {
                let rest = &line[position..];
                let end = rest.find(',');
                let field = &rest[..end.unwrap_or(rest.len())];
                if let Some(quote) = field.find('"') {
                    return Err(format!(
                        "parse error on line {line_number}, column {}: bare \" in non-quoted-field",
                        position + quote + 1
                    ));
                }
                record.push(field.to_string());
                match end {
                    Some(comma) => position += comma + 1,
                    None => break 'fields,
                }
                continue;
            }
            // A quoted field, which may run over several lines.
            let mut field = String::new();
            position += 1;
            loop {
                let Some(offset) = line[position..].find('"') else {
                    field.push_str(&line[position..]);
                    let Some(next) = lines.next() else {
                        return Err(format!(
                            "parse error on line {line_number}, column {}: extraneous or missing \" in quoted-field",
                            line.len() + 1
                        ));
                    };
                    line_number += 1;
                    field.push('\n');
                    line = next;
                    position = 0;
                    continue;
                };
                field.push_str(&line[position..position + offset]);
                position += offset + 1;
                let after = &line[position..];
                if after.starts_with('"') {
                    field.push('"');
                    position += 1;
                } else if after.starts_with(',') {
                    record.push(field);
                    position += 1;
                    continue 'fields;
                } else if after.is_empty() {
                    record.push(field);
                    break 'fields;
                } else {
                    return Err(format!(
                        "parse error on line {line_number}, column {}: extraneous or missing \" in quoted-field",
                        position + 1
                    ));
                }
            }
        }
        match fields_per_record {
            None => fields_per_record = Some(record.len()),
            Some(expected) if expected != record.len() => {
                return Err(format!("record on line {record_line}: wrong number of fields"));
            }
            Some(_) => {}
        }
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("encoding/csv", name, args))
    }

    #[test]
    fn csv_like_go() {
        assert_eq!(t("Decode", vec![s("a,b\n\"c,d\",e\n")]), r#"[["a","b"],["c,d","e"]]"#);
        assert_eq!(
            t("Decode", vec![s("a,\"x\r\ny\"\r\n\r\nb,\"q\"\"\"")]),
            r#"[["a","x\ny"],["b","q\""]]"#
        );
        assert_eq!(t("Decode", vec![s(" a ,\n")]), r#"[[" a ",""]]"#);
        assert_eq!(t("Decode", vec![s("")]), "[]");
        assert_eq!(
            t("Decode", vec![s("a,b\nc\n")]),
            "error: error in call to encoding/csv.Decode: record on line 2: wrong number of fields"
        );
        assert_eq!(
            t("Decode", vec![s("a,b\"c\n")]),
            "error: error in call to encoding/csv.Decode: parse error on line 1, column 4: bare \" in non-quoted-field"
        );
        assert_eq!(
            t("Decode", vec![s("\"abc\n")]),
            "error: error in call to encoding/csv.Decode: parse error on line 1, column 5: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            t(
                "Encode",
                vec![list(vec![list(vec![s("a"), s("b,c")]), list(vec![s("d"), s("e\"f")])])]
            ),
            r#""a,\"b,c\"\nd,\"e\"\"f\"\n""#
        );
        assert_eq!(
            t("Encode", vec![list(vec![list(vec![n("1"), s(" x"), s("")])])]),
            r#""1,\" x\",\n""#
        );
    }
}
