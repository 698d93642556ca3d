//! Tests for known_hosts verification against files and keys made by the
//! real `ssh-keygen`: plain, wildcard, negated, port and hashed entries,
//! markers, host certificates, concurrent appends and hostile bytes.
//! Verdicts are inline snapshots (`UPDATE_EXPECT=1` regenerates them); keys
//! are random per run, so snapshots name keys by their role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use expect_test::expect;
use russh::keys::{Certificate, PublicKey};

use super::{KnownHosts, ServerKey, Verdict, append_hashed, fingerprint, trust_command};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn ssh_keygen(dir: &Path, args: &[&str]) -> String {
    let output =
        Command::new("ssh-keygen").args(args).current_dir(dir).output().expect("ssh-keygen runs");
    assert!(
        output.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Keys made by `ssh-keygen` in a temporary directory, by role name.
struct Keys {
    dir: tempfile::TempDir,
    public: BTreeMap<&'static str, PublicKey>,
}

impl Keys {
    fn generate(roles: &[(&'static str, &str)]) -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let mut public = BTreeMap::new();
        for (role, kind) in roles {
            let mut args = vec!["-q", "-N", "", "-C", role, "-f", role, "-t", kind];
            if *kind == "rsa" {
                args.extend(["-b", "2048"]);
            }
            ssh_keygen(dir.path(), &args);
            let text = fs::read_to_string(dir.path().join(format!("{role}.pub"))).unwrap();
            public.insert(*role, PublicKey::from_openssh(&text).unwrap());
        }
        Keys { dir, public }
    }

    fn key(&self, role: &str) -> &PublicKey {
        &self.public[role]
    }

    /// `keytype base64` of a role's key.
    fn line(&self, role: &str) -> String {
        let text = fs::read_to_string(self.dir.path().join(format!("{role}.pub"))).unwrap();
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    /// Signs `role`'s key with `ca` and returns the certificate.
    fn certify(&self, ca: &str, role: &str, extra: &[&str]) -> Certificate {
        let identity = format!("{role}-cert");
        let mut args = vec!["-q", "-s", ca, "-I", &identity];
        args.extend(extra);
        let public = format!("{role}.pub");
        args.push(&public);
        ssh_keygen(self.dir.path(), &args);
        let text = fs::read_to_string(self.dir.path().join(format!("{role}-cert.pub"))).unwrap();
        Certificate::from_openssh(&text).unwrap()
    }

    /// Replaces `{role}` in `template` by the role's `keytype base64`.
    fn fill(&self, template: &str) -> String {
        let mut text = template.to_owned();
        for role in self.public.keys() {
            text = text.replace(&format!("{{{role}}}"), &self.line(role));
        }
        text
    }

    /// Names the role whose fingerprint `fp` is.
    fn role_of(&self, fp: &str) -> String {
        self.public
            .iter()
            .find(|(_, key)| fingerprint(key) == fp)
            .map(|(role, _)| format!("fingerprint of {role}"))
            .unwrap_or_else(|| fp.to_owned())
    }
}

fn render(keys: &Keys, verdict: &Verdict) -> String {
    let name = |file: &PathBuf| file.file_name().unwrap().to_string_lossy().into_owned();
    match verdict {
        Verdict::Trusted { file, line } => format!("Trusted {}:{line}", name(file)),
        Verdict::TrustedByAuthority { file, line } => {
            format!("TrustedByAuthority {}:{line}", name(file))
        }
        Verdict::Revoked { file, line } => format!("Revoked {}:{line}", name(file)),
        Verdict::CertificateRejected { file, line, reason } => {
            format!("CertificateRejected {}:{line}: {reason}", name(file))
        }
        Verdict::Changed { file, line, expected } => {
            format!("Changed {}:{line}, expected {}", name(file), keys.role_of(expected))
        }
        Verdict::Unknown => "Unknown".to_owned(),
    }
}

#[test]
fn fingerprints_match_ssh_keygen() {
    let keys = Keys::generate(&[("ed", "ed25519"), ("ec", "ecdsa"), ("rsa", "rsa")]);
    for role in ["ed", "ec", "rsa"] {
        let listed =
            ssh_keygen(keys.dir.path(), &["-l", "-E", "sha256", "-f", &format!("{role}.pub")]);
        let expected = listed.split_whitespace().nth(1).unwrap();
        assert_eq!(fingerprint(keys.key(role)), expected, "{role}");
    }
}

#[test]
fn verdicts_for_plain_wildcard_negated_port_marker_and_certificate_entries() {
    let keys = Keys::generate(&[
        ("a", "ed25519"),
        ("b", "ed25519"),
        ("c", "ecdsa"),
        ("d", "rsa"),
        ("revoked", "ed25519"),
        ("ca", "ed25519"),
        ("ca2", "ed25519"),
        ("bad_ca", "ed25519"),
        ("h", "ed25519"),
    ]);
    let file = keys.dir.path().join("known_hosts");
    fs::write(
        &file,
        keys.fill(
            "# comment line 1
web1.example,192.0.2.10 {a}
[web1.example]:2222\t{b} with a comment
*.example,!bad.example {c}
bad.example {d}
this line is garbage
@revoked * {revoked}
@cert-authority *.example {ca}
web2.example {b}
  web2.example {a}
@revoked nomatch.invalid {bad_ca}
@cert-authority * {bad_ca}
",
        ),
    )
    .unwrap();
    let known = KnownHosts::load(&[keys.dir.path().join("missing"), file]);

    let valid = keys.certify("ca", "h", &["-h", "-n", "web3.example,web3", "-V", "-1d:+1d"]);
    let wrong_principal = keys.certify("ca", "h", &["-h", "-n", "other.example", "-V", "-1d:+1d"]);
    let expired = keys.certify("ca", "h", &["-h", "-n", "web3.example", "-V", "-2d:-1d"]);
    let user_cert = keys.certify("ca", "h", &["-n", "web3.example", "-V", "-1d:+1d"]);
    let unknown_ca = keys.certify("ca2", "a", &["-h", "-n", "web1.example", "-V", "-1d:+1d"]);
    let revoked_ca = keys.certify("bad_ca", "h", &["-h", "-n", "web3.example", "-V", "-1d:+1d"]);

    let plain = |role: &str| ServerKey::Key(keys.key(role));
    let cases: Vec<(&[&str], u16, ServerKey<'_>, &str)> = vec![
        (&["web1.example"], 22, plain("a"), "exact name"),
        (&["WEB1.Example"], 22, plain("a"), "names are case-insensitive"),
        (&["unknown.name", "192.0.2.10"], 22, plain("a"), "address among names"),
        (&["web1.example"], 22, plain("b"), "same type, other key"),
        (&["web1.example"], 2222, plain("b"), "port entry"),
        (&["web1.example"], 2222, plain("a"), "port entry, other key"),
        (&["web1.example"], 22, plain("c"), "wildcard entry"),
        (&["web1.example"], 22, plain("d"), "no rsa key recorded"),
        (&["bad.example"], 22, plain("c"), "negated pattern excludes"),
        (&["bad.example"], 22, plain("d"), "its own line"),
        (&["web2.example"], 22, plain("a"), "several keys per host (a)"),
        (&["web2.example"], 22, plain("b"), "several keys per host (b)"),
        (&["anything.org"], 22, plain("revoked"), "revoked anywhere"),
        (&["nobody.org"], 22, plain("a"), "nothing matches"),
        (&["web3.example"], 22, ServerKey::Certificate(&valid), "valid certificate"),
        (&["web3.example"], 22, ServerKey::Certificate(&wrong_principal), "wrong principal"),
        (&["web3.example"], 22, ServerKey::Certificate(&expired), "expired"),
        (&["web3.example"], 22, ServerKey::Certificate(&user_cert), "user certificate"),
        (&["web1.example"], 22, ServerKey::Certificate(&unknown_ca), "unknown CA, plain key known"),
        (
            &["web3.example"],
            22,
            ServerKey::Certificate(&unknown_ca),
            "unknown CA, plain key unknown",
        ),
        (&["web3.example"], 22, ServerKey::Certificate(&revoked_ca), "revoked CA"),
        (&["web3.other"], 22, ServerKey::Certificate(&valid), "CA not for this host"),
    ];
    let mut out = String::new();
    for (names, port, key, label) in &cases {
        let verdict = known.verify(names, *port, key, now());
        let rendered =
            render(&keys, &verdict).replace(&expired.valid_before().to_string(), "<valid_before>");
        let _ = writeln!(out, "{label}: {rendered}");
    }
    for warning in known.warnings() {
        let _ = writeln!(out, "warning: {}", warning.rsplit('/').next().unwrap_or(warning));
    }
    expect![[r#"
        exact name: Trusted known_hosts:2
        names are case-insensitive: Trusted known_hosts:2
        address among names: Trusted known_hosts:2
        same type, other key: Changed known_hosts:2, expected fingerprint of a
        port entry: Trusted known_hosts:3
        port entry, other key: Changed known_hosts:3, expected fingerprint of b
        wildcard entry: Trusted known_hosts:4
        no rsa key recorded: Unknown
        negated pattern excludes: Unknown
        its own line: Trusted known_hosts:5
        several keys per host (a): Trusted known_hosts:10
        several keys per host (b): Trusted known_hosts:9
        revoked anywhere: Revoked known_hosts:7
        nothing matches: Unknown
        valid certificate: TrustedByAuthority known_hosts:8
        wrong principal: CertificateRejected known_hosts:8: its principals (other.example) do not name web3.example
        expired: CertificateRejected known_hosts:8: it expired at Unix time <valid_before>
        user certificate: CertificateRejected known_hosts:8: it is a user certificate, not a host certificate
        unknown CA, plain key known: Trusted known_hosts:2
        unknown CA, plain key unknown: Unknown
        revoked CA: Revoked known_hosts:11
        CA not for this host: Unknown
        warning: known_hosts:6: cannot decode the line key: Base64 encoding error: invalid Base64 encoding: line skipped
    "#]]
    .assert_eq(&out);
}

#[test]
fn hashed_entries_written_by_ssh_keygen_match() {
    let keys = Keys::generate(&[("a", "ed25519"), ("b", "ecdsa")]);
    let file = keys.dir.path().join("known_hosts");
    fs::write(&file, keys.fill("hashed.example {a}\n[hashed.example]:2200 {b}\n")).unwrap();
    ssh_keygen(keys.dir.path(), &["-q", "-H", "-f", "known_hosts"]);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.lines().all(|line| line.starts_with("|1|")), "{text}");

    let known = KnownHosts::load(&[file]);
    assert_eq!(known.warnings(), &[] as &[String]);
    let verdict = |name: &str, port, role| {
        render(&keys, &known.verify(&[name], port, &ServerKey::Key(keys.key(role)), 0))
    };
    let out = [
        verdict("hashed.example", 22, "a"),
        verdict("HASHED.example", 22, "a"),
        verdict("hashed.example", 2200, "b"),
        verdict("hashed.example", 2200, "a"),
        verdict("hashed.example", 22, "b"),
        verdict("other.example", 22, "a"),
    ]
    .join("\n");
    expect![[r#"
        Trusted known_hosts:1
        Trusted known_hosts:1
        Trusted known_hosts:2
        Unknown
        Unknown
        Unknown"#]]
    .assert_eq(&out);
}

#[test]
fn appended_entries_are_hashed_idempotent_and_found_by_ssh_keygen() {
    use std::os::unix::fs::PermissionsExt;
    let keys = Keys::generate(&[("a", "ed25519"), ("b", "rsa")]);
    let file = keys.dir.path().join("new/.ssh/known_hosts");
    append_hashed(&file, &["web1.example", "192.0.2.10"], 22, keys.key("a")).unwrap();
    append_hashed(&file, &["web1.example", "192.0.2.10"], 22, keys.key("a")).unwrap();
    append_hashed(&file, &["web1.example"], 2222, keys.key("b")).unwrap();
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(file.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
    for (host, expected_role) in
        [("web1.example", "a"), ("192.0.2.10", "a"), ("[web1.example]:2222", "b")]
    {
        let found = ssh_keygen(keys.dir.path(), &["-F", host, "-f", &file.to_string_lossy()]);
        assert!(found.contains(&keys.line(expected_role)), "{host}: {found}");
    }
    let known = KnownHosts::load(&[file]);
    assert!(matches!(
        known.verify(&["web1.example"], 2222, &ServerKey::Key(keys.key("b")), 0),
        Verdict::Trusted { line: 3, .. }
    ));
}

#[test]
fn appending_refuses_a_revoked_or_conflicting_key() {
    let keys = Keys::generate(&[("a", "ed25519"), ("b", "ed25519"), ("c", "ecdsa")]);
    let file = keys.dir.path().join("known_hosts");
    fs::write(&file, keys.fill("web1 {a}\n@revoked * {c}\n")).unwrap();
    let before = fs::read_to_string(&file).unwrap();
    let changed = append_hashed(&file, &["new", "web1"], 22, keys.key("b")).unwrap_err();
    let revoked = append_hashed(&file, &["new"], 22, keys.key("c")).unwrap_err();
    let shown = format!("{changed}\n{revoked}")
        .replace(&*keys.dir.path().to_string_lossy(), "$TMP")
        .replace(&fingerprint(keys.key("a")), "<fingerprint of a>");
    expect![[r#"
        refusing to record a second ssh-ed25519 key for web1: $TMP/known_hosts:1 records <fingerprint of a>
        refusing to record a key revoked at $TMP/known_hosts:2"#]]
    .assert_eq(&shown);
    assert_eq!(fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn a_hundred_threads_appending_at_once_lose_nothing() {
    let keys = Keys::generate(&[("a", "ed25519")]);
    let file = keys.dir.path().join("known_hosts");
    fs::write(&file, "no-newline-at-end.example ").unwrap();
    let key = keys.key("a");
    std::thread::scope(|scope| {
        for index in 0..100 {
            let file = &file;
            scope.spawn(move || {
                let name = format!("host{index}.example");
                append_hashed(file, &[&name], 22, key).unwrap();
            });
        }
    });
    let known = KnownHosts::load(std::slice::from_ref(&file));
    // The partial first line is skipped, and the first append starts a new line.
    assert_eq!(known.warnings().len(), 1, "{:?}", known.warnings());
    for index in 0..100 {
        let name = format!("host{index}.example");
        assert!(
            matches!(known.verify(&[&name], 22, &ServerKey::Key(key), 0), Verdict::Trusted { .. }),
            "{name}"
        );
    }
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 101);
}

#[test]
fn trust_command_appends_exactly_the_key_shown() {
    let keys = Keys::generate(&[("a", "ed25519")]);
    let file = keys.dir.path().join("it's known_hosts");
    let command =
        trust_command(&["web1.example", "192.0.2.10"], 2222, keys.key("a"), &file).unwrap();
    let shown = command
        .replace(&fingerprint(keys.key("a")), "SHA256:<a>")
        .replace(&keys.line("a"), "<key a>")
        .replace(&*keys.dir.path().to_string_lossy(), "$TMP");
    expect![[r#"
        # ED25519 key fingerprint is SHA256:<a>; compare it with the output of
        #   ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub   (run on the host itself)
        printf '%s\n' '[web1.example]:2222,[192.0.2.10]:2222 <key a>' >> '$TMP/it'\''s known_hosts'"#]]
    .assert_eq(&shown);
    let status = Command::new("sh").arg("-c").arg(&command).status().unwrap();
    assert!(status.success());
    let known = KnownHosts::load(&[file]);
    assert!(matches!(
        known.verify(&["192.0.2.10"], 2222, &ServerKey::Key(keys.key("a")), 0),
        Verdict::Trusted { line: 1, .. }
    ));
    assert_eq!(trust_command(&["*.example"], 22, keys.key("a"), Path::new("f")), None);
    assert_eq!(trust_command(&["a b"], 22, keys.key("a"), Path::new("f")), None);
    assert_eq!(trust_command(&[], 22, keys.key("a"), Path::new("f")), None);
}

mod properties {
    use std::path::Path;

    use proptest::prelude::*;
    use russh::keys::PublicKey;

    use super::{KnownHosts, ServerKey};

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKrDZRdu8YWpDlwTcNfZ17GJTVy9IAdZY3mVIvLH0y3h";

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut known = KnownHosts::default();
            known.add_text(Path::new("fuzz"), &bytes);
            let key = PublicKey::from_openssh(KEY).unwrap();
            let _ = known.verify(&["web1", "192.0.2.1"], 22, &ServerKey::Key(&key), 0);
            let _ = known.verify(&["web1"], 2222, &ServerKey::Key(&key), 0);
        }

        #[test]
        fn line_shaped_garbage_never_panics(
            lines in proptest::collection::vec(
                "(@revoked |@cert-authority |@x )?(\\|1\\|[A-Za-z0-9+/=|]{0,40}|[a-z0-9*?!,\\[\\]:.]{0,20})[ \t]+(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|x)[ \t]+[A-Za-z0-9+/=]{0,80}",
                0..20,
            ),
        ) {
            let mut text = lines.join("\n");
            text.push('\n');
            text.push_str("web1 ");
            text.push_str(KEY);
            let mut known = KnownHosts::default();
            known.add_text(Path::new("fuzz"), text.as_bytes());
            let key = PublicKey::from_openssh(KEY).unwrap();
            let _ = known.verify(&["web1"], 22, &ServerKey::Key(&key), 0);
        }
    }
}
