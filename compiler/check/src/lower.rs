//! Validated data to IR hosts and resources.
//!
//! By the time data gets here it has met its schema, so the shapes are known;
//! anything still off (a port out of range for `u16`) is reported, never
//! assumed.

use std::collections::BTreeMap;

use froyo_diagnostics::{Diagnostic, Span, registry};
use froyo_eval::Data;
use froyo_ir::{Host, Language, Origin, Resource, Transport, Value};

/// The fields every resource has; everything else is a property.
const RESOURCE_FIELDS: [&str; 4] = ["type", "on", "require", "notify"];

/// `data` as an IR value.
pub fn value(data: &Data) -> Value {
    match data {
        Data::Null => Value::Null,
        Data::Bool(flag) => Value::Bool(*flag),
        Data::Number(number) => match number.to_i64() {
            Some(integer) if number.is_int() || number.is_integral() => Value::Int(integer),
            _ => Value::Float(number.to_f64()),
        },
        Data::String(text) => Value::String(text.clone()),
        Data::Bytes(bytes) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        Data::List(items) => Value::List(items.iter().map(value).collect()),
        Data::Struct(fields) => {
            Value::Map(fields.iter().map(|(name, item)| (name.clone(), value(item))).collect())
        }
    }
}

pub fn origin(span: Span, path: &str) -> Origin {
    let language = if path.ends_with(".star") { Language::Starlark } else { Language::Cue };
    Origin { file: path.to_string(), start: span.start, end: span.end, language }
}

fn string(data: &Data, field: &str) -> Option<String> {
    match data.field(field) {
        Some(Data::String(text)) => Some(text.clone()),
        _ => None,
    }
}

fn labels(data: Option<&Data>) -> BTreeMap<String, String> {
    match data {
        Some(Data::Struct(fields)) => fields
            .iter()
            .filter_map(|(name, item)| match item {
                Data::String(text) => Some((name.clone(), text.clone())),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn strings(data: Option<&Data>) -> Vec<String> {
    match data {
        Some(Data::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Data::String(text) => Some(text.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A validated host.
pub fn host(name: &str, data: &Data, origin: Origin, span: Span) -> Result<Host, Box<Diagnostic>> {
    let transport = match string(data, "transport").as_deref() {
        Some("local") => Transport::Local,
        _ => Transport::Ssh,
    };
    let port = match data.field("port") {
        Some(Data::Number(number)) => {
            number.to_i64().and_then(|port| u16::try_from(port).ok()).map(Some)
        }
        None => Some(None),
        _ => None,
    };
    let Some(port) = port else {
        return Err(Box::new(Diagnostic::new(
            &registry::INVALID_HOST,
            format!("host `{name}` has a port outside 1–65535"),
            span,
        )));
    };
    let vars = match value(data.field("vars").unwrap_or(&Data::Struct(Vec::new()))) {
        Value::Map(entries) => entries,
        _ => BTreeMap::new(),
    };
    Ok(Host {
        name: name.to_string(),
        transport,
        address: string(data, "address"),
        port,
        user: string(data, "user"),
        identity_file: string(data, "identity_file"),
        become_root: matches!(data.field("become"), Some(Data::Bool(true))),
        become_password: string(data, "become_password"),
        labels: labels(data.field("labels")),
        vars,
        jump_host: string(data, "jump_host"),
        origin,
    })
}

/// A validated resource.
pub fn resource(
    id: &str,
    type_name: &str,
    data: &Data,
    sensitive: &[String],
    origin: Origin,
) -> Resource {
    let mut properties = BTreeMap::new();
    if let Data::Struct(fields) = data {
        for (name, item) in fields {
            if !RESOURCE_FIELDS.contains(&name.as_str()) {
                properties.insert(name.clone(), value(item));
            }
        }
    }
    Resource {
        id: id.to_string(),
        type_name: type_name.to_string(),
        on: labels(data.field("on")),
        require: strings(data.field("require")),
        notify: strings(data.field("notify")),
        sensitive: sensitive
            .iter()
            .filter(|name| properties.contains_key(*name))
            .cloned()
            .collect(),
        properties,
        origin,
    }
}
