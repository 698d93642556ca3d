//! Serialisation, hashing, redaction and selectors of the IR, on a small sample.

use std::collections::BTreeMap;

use expect_test::expect;

use super::*;

fn origin(file: &str) -> Origin {
    Origin { file: file.into(), start: 0, end: 4, language: Language::Cue }
}

fn sample() -> Ir {
    let host = Host {
        name: "web1".into(),
        transport: Transport::Ssh,
        address: Some("203.0.113.11".into()),
        port: Some(22),
        user: Some("deploy".into()),
        identity_file: None,
        become_root: true,
        become_password: None,
        labels: BTreeMap::from([("role".into(), "web".into())]),
        vars: BTreeMap::new(),
        jump_host: None,
        origin: origin("hosts.cue"),
    };
    let file = Resource {
        id: "site".into(),
        type_name: "linux.file".into(),
        on: BTreeMap::from([("role".into(), "web".into())]),
        properties: BTreeMap::from([
            ("path".into(), Value::String("/etc/site.conf".into())),
            ("mode".into(), Value::String("0644".into())),
        ]),
        require: vec!["apache".into()],
        notify: vec![],
        sensitive: vec![],
        origin: origin("site.cue"),
    };
    let user = Resource {
        id: "apache".into(),
        type_name: "linux.user".into(),
        on: BTreeMap::new(),
        properties: BTreeMap::from([
            ("name".into(), Value::String("www".into())),
            ("password".into(), Value::String("$6$secret".into())),
        ]),
        require: vec![],
        notify: vec![],
        sensitive: vec!["password".into()],
        origin: origin("site.cue"),
    };
    Ir::new(vec![host], vec![file, user])
}

#[test]
fn serialisation_is_canonical_and_ordered() {
    let ir = sample();
    expect![[r#"
        {"format":"froyo-ir","version":1,"hash":"sha256:6a352aca6cfc62f537d390ed02b07e845d1db9c4f6ae6d31cd0d96dd8be89fcb","hosts":[{"name":"web1","transport":"ssh","address":"203.0.113.11","port":22,"user":"deploy","become":true,"labels":{"role":"web"},"vars":{},"origin":{"file":"hosts.cue","start":0,"end":4,"language":"cue"}}],"resources":[{"id":"apache","type":"linux.user","on":{},"properties":{"name":"www","password":"$6$secret"},"require":[],"notify":[],"sensitive":["password"],"origin":{"file":"site.cue","start":0,"end":4,"language":"cue"}},{"id":"site","type":"linux.file","on":{"role":"web"},"properties":{"mode":"0644","path":"/etc/site.conf"},"require":["apache"],"notify":[],"origin":{"file":"site.cue","start":0,"end":4,"language":"cue"}}]}
    "#]]
    .assert_eq(&ir.to_json());
}

#[test]
fn round_trip_and_hash_check() {
    let ir = sample();
    let read = Ir::from_json(&ir.to_json()).unwrap();
    assert_eq!(read, ir);

    let tampered = ir.to_json().replace("/etc/site.conf", "/etc/other.conf");
    assert!(matches!(Ir::from_json(&tampered), Err(ReadError::HashMismatch { .. })));
    let future = ir.to_json().replace("\"version\":1", "\"version\":99");
    assert!(matches!(Ir::from_json(&future), Err(ReadError::Unsupported { version: 99, .. })));
    assert!(matches!(Ir::from_json("{\"format\":"), Err(ReadError::Malformed(_))));
    assert!(matches!(Ir::from_json("[]"), Err(ReadError::Malformed(_))));
}

#[test]
fn origins_do_not_change_the_hash_but_content_does() {
    let ir = sample();
    let mut moved = ir.clone();
    moved.resources[0].origin.start = 100;
    assert_eq!(moved.content_hash(), ir.hash);
    let mut changed = ir.clone();
    changed.resources[0].properties.insert("name".into(), Value::String("web".into()));
    assert_ne!(changed.content_hash(), ir.hash);
}

#[test]
fn redaction_keeps_shape_and_hides_scalars() {
    let ir = sample();
    let apache = ir.resource("apache").unwrap();
    let redacted = apache.redacted_properties();
    assert_eq!(redacted["password"], Value::String(REDACTED.into()));
    assert_eq!(redacted["name"], Value::String("www".into()));
    let env = Value::Map(BTreeMap::from([("TOKEN".into(), Value::String("abc".into()))]));
    assert_eq!(
        env.redacted(),
        Value::Map(BTreeMap::from([("TOKEN".into(), Value::String(REDACTED.into()))]))
    );
}

#[test]
fn selectors_match_labels() {
    let ir = sample();
    let web = BTreeMap::from([("role".to_string(), "web".to_string())]);
    let db = BTreeMap::from([("role".to_string(), "db".to_string())]);
    assert_eq!(ir.matching_hosts(&web).count(), 1);
    assert_eq!(ir.matching_hosts(&db).count(), 0);
    assert_eq!(ir.matching_hosts(&BTreeMap::new()).count(), 1);
}
