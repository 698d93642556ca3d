//! Tests for `ssh_config` reading: each case is a configuration text, a host
//! name, and the resolved settings plus warnings as an inline snapshot
//! (`UPDATE_EXPECT=1 cargo test -p froyo-ssh` regenerates them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use super::{HostConfig, LocalUser, SshConfig};

fn me() -> LocalUser {
    LocalUser { home: PathBuf::from("/home/me"), name: "me".to_owned() }
}

/// The settings that are set, one per line, then the warnings.
fn render(config: &SshConfig, host: &HostConfig, home: &Path) -> String {
    let mut out = String::new();
    let mut line = |name: &str, value: String| {
        let _ = writeln!(out, "{name}: {value}");
    };
    let path = |p: &PathBuf| {
        let shown = p.to_string_lossy().into_owned();
        shown.replace(&*home.to_string_lossy(), "~")
    };
    if let Some(v) = &host.host_name {
        line("host_name", v.clone());
    }
    if let Some(v) = host.port {
        line("port", v.to_string());
    }
    if let Some(v) = &host.user {
        line("user", v.clone());
    }
    if !host.identity_files.is_empty() {
        line("identity_files", host.identity_files.iter().map(path).collect::<Vec<_>>().join(" "));
    }
    if !host.certificate_files.is_empty() {
        line(
            "certificate_files",
            host.certificate_files.iter().map(path).collect::<Vec<_>>().join(" "),
        );
    }
    if let Some(v) = host.identities_only {
        line("identities_only", v.to_string());
    }
    if let Some(v) = &host.identity_agent {
        line("identity_agent", v.replace(&*home.to_string_lossy(), "~"));
    }
    if let Some(v) = &host.proxy_jump {
        line("proxy_jump", format!("{v:?}"));
    }
    if let Some(v) = &host.proxy_command {
        line("proxy_command", v.clone());
    }
    if let Some(v) = host.strict_host_key_checking {
        line("strict_host_key_checking", format!("{v:?}"));
    }
    if let Some(v) = &host.user_known_hosts_files {
        line("user_known_hosts_files", format!("{:?}", v.iter().map(path).collect::<Vec<_>>()));
    }
    if let Some(v) = &host.global_known_hosts_files {
        line("global_known_hosts_files", format!("{:?}", v.iter().map(path).collect::<Vec<_>>()));
    }
    if let Some(v) = host.connect_timeout {
        line("connect_timeout", format!("{v:?}"));
    }
    if let Some(v) = host.server_alive_interval {
        line("server_alive_interval", format!("{v:?}"));
    }
    if let Some(v) = host.server_alive_count_max {
        line("server_alive_count_max", v.to_string());
    }
    if let Some(v) = host.batch_mode {
        line("batch_mode", v.to_string());
    }
    if let Some(v) = host.password_authentication {
        line("password_authentication", v.to_string());
    }
    for warning in config.warnings() {
        let _ = writeln!(out, "warning: {}", warning.replace(&*home.to_string_lossy(), "~"));
    }
    out
}

fn check(user: &str, system: &str, host: &str, expect: Expect) {
    let config = SshConfig::from_texts(user, system, &me());
    let resolved = config.resolve(host);
    expect.assert_eq(&render(&config, &resolved, Path::new("/home/me")));
}

#[test]
fn first_value_wins_user_before_system_identity_files_accumulate() {
    check(
        "
Host web1
    User deploy
    IdentityFile ~/.ssh/web1
Host *
    User nobody
    Port 2200
    IdentityFile ~/.ssh/id_ed25519
",
        "
Host *
    Port 22
    User root
    IdentityFile /etc/ssh/shared_key
    StrictHostKeyChecking accept-new
",
        "web1",
        expect![[r#"
            port: 2200
            user: deploy
            identity_files: ~/.ssh/web1 ~/.ssh/id_ed25519 /etc/ssh/shared_key
            strict_host_key_checking: AcceptNew
        "#]],
    );
}

#[test]
fn negated_pattern_excludes_the_block() {
    let config = "
Host *.example !bastion.example
    User app
Host bastion.example
    User jump
";
    check(
        config,
        "",
        "web.example",
        expect![[r#"
            user: app
        "#]],
    );
    check(
        config,
        "",
        "bastion.example",
        expect![[r#"
            user: jump
        "#]],
    );
    // `Host` patterns are case-sensitive in OpenSSH (`ssh -G` agrees).
    check(
        config,
        "",
        "BASTION.example",
        expect![[r#"
            user: app
        "#]],
    );
    check(
        "Host !web? web*\n  Port 1\nHost w?b9 db\n  Port 2\n",
        "",
        "web9",
        expect![[r#"
            port: 2
        "#]],
    );
}

#[test]
fn keyword_forms_quotes_and_comments() {
    check(
        r#"
# a comment
HOST=web1 # trailing comment
  hostname = 192.0.2.10
	USER	"deploy"
 IdentityFile "~/.ssh/my key" # with a space
 IdentityFile ~/.ssh/escaped\ space
 IdentitiesOnly=yes
 UserKnownHostsFile ~/.ssh/kh1 "/tmp/kh 2"
 GlobalKnownHostsFile none
 ConnectTimeout 1m30s
 ServerAliveInterval 15
 ServerAliveCountMax 4
 BatchMode yes
 PasswordAuthentication no
 IdentityAgent ~/agent.sock
 StrictHostKeyChecking off
 ProxyCommand ssh -W %h:%p bastion
 ProxyJump bastion
"#,
        "",
        "web1",
        expect![[r#"
            host_name: 192.0.2.10
            user: deploy
            identity_files: ~/.ssh/my key ~/.ssh/escaped space
            identities_only: true
            identity_agent: ~/agent.sock
            proxy_command: ssh -W %h:%p bastion
            strict_host_key_checking: No
            user_known_hosts_files: ["~/.ssh/kh1", "/tmp/kh 2"]
            global_known_hosts_files: []
            connect_timeout: 90s
            server_alive_interval: 15s
            server_alive_count_max: 4
            batch_mode: true
            password_authentication: false
        "#]],
    );
}

#[test]
fn tokens_are_expanded_where_openssh_expands_them() {
    check(
        "
Host web*
    HostName %h.internal.example
    User deploy
    Port 2222
    IdentityFile %d/keys/%u-%r@%h:%p
    CertificateFile ~/.ssh/%n-cert.pub
    UserKnownHostsFile ~/.ssh/known_hosts.d/%k 100%%
    IdentityAgent none
    IdentityFile /keys/%C/%z%
",
        "",
        "web1",
        expect![[r#"
            host_name: web1.internal.example
            port: 2222
            user: deploy
            identity_files: ~/keys/me-deploy@web1.internal.example:2222 /keys/%C/%z%
            certificate_files: ~/.ssh/web1-cert.pub
            identity_agent: none
            user_known_hosts_files: ["~/.ssh/known_hosts.d/web1", "100%"]
        "#]],
    );
}

#[test]
fn match_blocks_apply_or_are_skipped_with_a_warning() {
    check(
        "
Host web1
    HostName web1.internal
Match host *.internal
    User by-canonical-name
Match originalhost web1 !host nope
    Port 2201
Match exec \"test -f /tmp/x\"
    IdentityFile ~/.ssh/from_exec
Match user root
    ProxyJump root-bastion
Match all
    ConnectTimeout 5
Match
    BatchMode yes
",
        "",
        "web1",
        expect![[r#"
            host_name: web1.internal
            port: 2201
            user: by-canonical-name
            connect_timeout: 5s
            warning: <user config>:8: froyo does not evaluate Match criterion 'exec': this Match block is ignored
            warning: <user config>:10: froyo does not evaluate Match criterion 'user': this Match block is ignored
            warning: <user config>:14: Match without criteria: this Match block is ignored
        "#]],
    );
}

#[test]
fn proxy_jump_forms() {
    let cases = [
        "none",
        "bastion",
        "alice@bastion:2222,ssh://bob@[2001:db8::1]:22/",
        "[::1]",
        "user@with@at@host",
        "ssh://h2",
        "a,,b",
        "host:0",
        "host:port",
        "[::1",
        "-oProxyCommand=x",
        "@host",
    ];
    let mut out = String::new();
    for case in cases {
        let _ = writeln!(out, "{case} => {:?}", super::parse_proxy_jump(case));
    }
    expect![[r#"
        none => Ok(None)
        bastion => Ok(Hops([JumpHop { user: None, host: "bastion", port: None }]))
        alice@bastion:2222,ssh://bob@[2001:db8::1]:22/ => Ok(Hops([JumpHop { user: Some("alice"), host: "bastion", port: Some(2222) }, JumpHop { user: Some("bob"), host: "2001:db8::1", port: Some(22) }]))
        [::1] => Ok(Hops([JumpHop { user: None, host: "::1", port: None }]))
        user@with@at@host => Ok(Hops([JumpHop { user: Some("user@with@at"), host: "host", port: None }]))
        ssh://h2 => Ok(Hops([JumpHop { user: None, host: "h2", port: None }]))
        a,,b => Err("jump host '' has no valid host")
        host:0 => Err("jump host 'host:0' '0' is not a port")
        host:port => Err("jump host 'host:port' 'port' is not a port")
        [::1 => Err("jump host '[::1' has an unclosed '['")
        -oProxyCommand=x => Err("jump host '-oProxyCommand=x' starts with '-'")
        @host => Err("jump host '@host' has an empty user")
    "#]]
    .assert_eq(&out);
}

#[test]
fn proxy_jump_none_wins_when_first_and_bad_values_are_warned() {
    check(
        "
Host internal
    ProxyJump none
    Port 99999
    ConnectTimeout soon
    StrictHostKeyChecking maybe
    User
    HostName a b
    IdentityFile \"unterminated
Host *
    ProxyJump bastion
    StrictHostKeyChecking yes
",
        "",
        "internal",
        expect![[r#"
            proxy_jump: None
            strict_host_key_checking: Yes
            warning: <user config>:4: port: '99999' is not a port: line ignored
            warning: <user config>:5: connecttimeout: 'soon' is not a time interval: line ignored
            warning: <user config>:6: stricthostkeychecking: 'maybe' is not yes, accept-new, no, off or ask: line ignored
            warning: <user config>:7: user without a value: ignored
            warning: <user config>:8: hostname takes one value: line ignored
            warning: <user config>:9: unterminated quote: line ignored
        "#]],
    );
}

/// Writes `files` (path relative to `root`, contents) and returns `root`.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap();
    }
}

fn load_check(files: &[(&str, &str)], host: &str, expect: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    write_tree(dir.path(), files);
    let local = LocalUser { home: home.clone(), name: "me".to_owned() };
    let config = SshConfig::load(
        Some(&home.join(".ssh/config")),
        Some(&dir.path().join("etc/ssh/ssh_config")),
        &local,
    )
    .unwrap();
    let resolved = config.resolve(host);
    let rendered = render(&config, &resolved, &home);
    expect.assert_eq(&rendered.replace(&*dir.path().to_string_lossy(), "$TMP"));
}

#[test]
fn include_globs_relative_paths_and_conditional_includes() {
    load_check(
        &[
            (
                "home/.ssh/config",
                "Include config.d/*.conf\nHost web1\n  Include ~/.ssh/web1-only\nHost *\n  IdentityFile ~/.ssh/last\n",
            ),
            ("home/.ssh/config.d/20-b.conf", "Host *\n  User from-b\n"),
            ("home/.ssh/config.d/10-a.conf", "Host web*\n  Port 2010\nHost db*\n  User db\n"),
            ("home/.ssh/config.d/.hidden.conf", "User hidden\n"),
            ("home/.ssh/config.d/notes.txt", "User txt\n"),
            // After an included file ends, the including block is active again.
            ("home/.ssh/web1-only", "IdentityFile ~/.ssh/web1\nHost other\n  User never\n"),
            ("etc/ssh/ssh_config", "Include ssh_config.d/*.conf\n"),
            (
                "etc/ssh/ssh_config.d/debian.conf",
                "Host *\n  GlobalKnownHostsFile /etc/ssh/ssh_known_hosts\n",
            ),
        ],
        "web1",
        expect![[r#"
            port: 2010
            user: from-b
            identity_files: ~/.ssh/web1 ~/.ssh/last
            global_known_hosts_files: ["/etc/ssh/ssh_known_hosts"]
        "#]],
    );
    load_check(
        &[
            ("home/.ssh/config", "Host web1\n  Include ~/.ssh/web1-only\nHost *\n  Port 1\n"),
            ("home/.ssh/web1-only", "Host *\n  User never-for-db\n"),
        ],
        "db",
        expect![[r#"
            port: 1
        "#]],
    );
}

#[test]
fn include_loops_and_depth_are_bounded() {
    load_check(
        &[
            ("home/.ssh/config", "Include a\nHost *\n  User after-loop\n"),
            ("home/.ssh/a", "Include b\nPort 2001\n"),
            ("home/.ssh/b", "Include a config\n"),
            ("home/.ssh/deep0", "Include deep1\n"),
        ],
        "x",
        expect![[r#"
            port: 2001
            user: after-loop
            warning: ~/.ssh/b:1: Include ~/.ssh/a: includes itself, ignored
            warning: ~/.ssh/b:1: Include ~/.ssh/config: includes itself, ignored
        "#]],
    );
    let mut files: Vec<(String, String)> = (0..20)
        .map(|n| (format!("home/.ssh/d{n}"), format!("Include d{}\nUser depth{n}\n", n + 1)))
        .collect();
    files.push(("home/.ssh/config".to_owned(), "Include d0\n".to_owned()));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    load_check(
        &borrowed,
        "x",
        expect![[r#"
            user: depth15
            warning: ~/.ssh/d15:1: Include ~/.ssh/d16: nested more than 16 deep, ignored
        "#]],
    );
}

#[test]
fn a_user_file_writable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    fs::write(&file, "User x\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
    let local = LocalUser { home: dir.path().to_path_buf(), name: "me".to_owned() };
    let error = SshConfig::load(Some(&file), None, &local).unwrap_err();
    assert!(error.to_string().contains("bad permissions 666"), "{error}");
    // Missing files are fine.
    let config =
        SshConfig::load(Some(&dir.path().join("nope")), Some(&dir.path().join("nope2")), &local)
            .unwrap();
    assert_eq!(config.resolve("h"), HostConfig::default());
}

#[test]
fn hostile_input_never_panics() {
    let huge_line = format!("Host {}\n User {}\n", "*".repeat(200_000), "x".repeat(1_000_000));
    let config = SshConfig::from_texts(&huge_line, "", &me());
    assert_eq!(config.resolve("h").user.as_deref().map(str::len), Some(1_000_000));
    let pathological = format!("Host {}b\n User y\n", "*a".repeat(5_000));
    let config = SshConfig::from_texts(&pathological, "", &me());
    assert_eq!(config.resolve(&"a".repeat(10_000)).user, None);

    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..2_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        let config = SshConfig::from_texts(&text, &text, &me());
        let _ = config.resolve("web1");
    }
}

mod properties {
    use proptest::prelude::*;

    use super::{SshConfig, me};

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "(?s).{0,400}", host in "[a-z0-9.*?!-]{0,20}") {
            let config = SshConfig::from_texts(&text, "", &me());
            let _ = config.resolve(&host);
        }

        #[test]
        fn config_shaped_text_never_panics(
            lines in proptest::collection::vec(
                "(Host|Match|Include|ProxyJump|Port|User|IdentityFile|HostName|ConnectTimeout)[ =]{1,2}[a-z0-9%~*?!@:\\[\\]\"', ]{0,30}",
                0..20,
            ),
            host in "[a-z0-9]{1,8}",
        ) {
            let text = lines.join("\n");
            let config = SshConfig::from_texts(&text, &text, &me());
            let _ = config.resolve(&host);
        }
    }
}

/// The same files and hosts through `ssh -G` (OpenSSH's own resolution) and
/// through [`SshConfig::resolve`]; the settings both know must agree.
#[test]
fn agrees_with_openssh_ssh_dash_g() {
    if std::process::Command::new("ssh").arg("-V").output().is_err() {
        eprintln!("no ssh client: comparison with ssh -G skipped");
        return;
    }
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let user_name = std::process::Command::new("id").arg("-un").output().unwrap();
    let local = LocalUser {
        home: home.clone(),
        name: String::from_utf8_lossy(&user_name.stdout).trim().to_owned(),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    let included = dir.path().join("more.conf");
    fs::write(&included, "Host db*\n  User db-admin\n  Port 5022\nHost *\n  ConnectTimeout 7\n")
        .unwrap();
    fs::write(
        &file,
        format!(
            "
Host web1 !bad*
    HostName %h.internal
    IdentityFile ~/.ssh/web1
Match host *.internal
    User canon
Match originalhost web1 !host nope
    Port 2201
Match exec false
    User never
Host bad*
    ProxyJump none
Include {}
Host *.example,x
    StrictHostKeyChecking no
Host *
    ProxyJump alice@b1:2222,ssh://bob@h2:22
    StrictHostKeyChecking accept-new
    UserKnownHostsFile ~/.ssh/kh %d/kh2_%h_%p
    ConnectTimeout 1m30s
",
            included.display()
        ),
    )
    .unwrap();
    let config = SshConfig::load(Some(&file), None, &local).unwrap();
    for host in ["web1", "other", "db1", "bad1", "x.example", "WEB1", "X", "DB2"] {
        let output = std::process::Command::new("ssh")
            .args(["-G", "-F"])
            .arg(&file)
            .arg(host)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let openssh: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| {
                let key = line.split(' ').next().unwrap_or("");
                [
                    "hostname",
                    "user",
                    "port",
                    "proxyjump",
                    "stricthostkeychecking",
                    "userknownhostsfile",
                    "connecttimeout",
                ]
                .contains(&key)
            })
            .map(str::to_owned)
            .collect();
        let ours = config.resolve(host);
        let mut mine = Vec::new();
        mine.push(format!("user {}", ours.user.clone().unwrap_or(local.name.clone())));
        mine.push(format!(
            "hostname {}",
            ours.host_name.clone().unwrap_or(host.to_ascii_lowercase())
        ));
        mine.push(format!("port {}", ours.port.unwrap_or(22)));
        if let Some(timeout) = ours.connect_timeout {
            mine.push(format!("connecttimeout {}", timeout.as_secs()));
        }
        let strict = match ours.strict_host_key_checking {
            Some(super::StrictHostKeyChecking::AcceptNew) => "accept-new",
            Some(super::StrictHostKeyChecking::No) => "false",
            Some(super::StrictHostKeyChecking::Yes) => "true",
            Some(super::StrictHostKeyChecking::Ask) | None => "ask",
        };
        mine.push(format!("stricthostkeychecking {strict}"));
        if let Some(files) = &ours.user_known_hosts_files {
            let files: Vec<String> =
                files.iter().map(|f| f.to_string_lossy().into_owned()).collect();
            mine.push(format!("userknownhostsfile {}", files.join(" ")));
        }
        if let Some(super::ProxyJump::Hops(hops)) = &ours.proxy_jump {
            let hops: Vec<String> = hops
                .iter()
                .map(|hop| {
                    let user = hop.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
                    let port = hop.port.map(|p| format!(":{p}")).unwrap_or_default();
                    format!("{user}{}{port}", hop.host)
                })
                .collect();
            mine.push(format!("proxyjump {}", hops.join(",")));
        }
        let mut openssh_sorted = openssh.clone();
        openssh_sorted.sort();
        mine.sort();
        assert_eq!(mine, openssh_sorted, "host {host}");
    }
}

/// The machine's own `/etc/ssh/ssh_config` (Debian's includes
/// `/etc/ssh/ssh_config.d/*.conf`) loads and resolves.
#[test]
fn the_system_configuration_of_this_machine_loads() {
    let system = Path::new("/etc/ssh/ssh_config");
    let config = SshConfig::load(None, Some(system), &me()).unwrap();
    let _ = config.resolve("example.invalid");
}
