//! Every built-in provider's plans for representative cases, through the real
//! host and the real embedded components, snapshotted as JSON.

mod common;

use common::*;
use expect_test::expect;
use froyo_provider_api::{Action, Facts, HttpResponse, ProbeOutcome, ProbeResult, VerifyRequest};
use serde_json::json;

#[test]
fn builtin_types_and_descriptors() {
    let h = host();
    expect!["linux.directory linux.exec linux.file linux.group linux.package linux.service linux.user probe.http test.overreach"].assert_eq(&h.types().join(" "));
    expect![[r#"
        {
          "type_name": "linux.exec",
          "version": "0.1.0",
          "capabilities": {
            "commands": [],
            "path_properties": [],
            "command_properties": [
              "command",
              "unless",
              "onlyif"
            ],
            "url_properties": []
          }
        }"#]]
    .assert_eq(&json(h.descriptor("linux.exec").expect("exec loaded")));
}

#[test]
fn file_probe_asks_for_a_stat_with_content() {
    expect![[r#"
        {
          "probes": [
            {
              "probe": "stat",
              "path": "/etc/motd",
              "content_limit": 1048576
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.file", &probe_req(json!({"path": "/etc/motd"}), facts())));
}

#[test]
fn file_create() {
    let r = plan_req(
        json!({"path": "/etc/motd", "content": "hello\n", "owner": "root"}),
        facts(),
        vec![absent()],
        false,
    );
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            },
            {
              "property": "content",
              "before": null,
              "after": "hello\n"
            },
            {
              "property": "mode",
              "before": null,
              "after": "0644"
            },
            {
              "property": "owner",
              "before": null,
              "after": "root"
            }
          ],
          "ops": [
            {
              "op": "write_file",
              "path": "/etc/motd",
              "content": "hello\n",
              "mode": "0644",
              "owner": "root"
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.file", &r));
}

#[test]
fn file_update_content_keeps_mode_and_owner() {
    let r = plan_req(
        json!({"path": "/etc/motd", "content": "new\n"}),
        facts(),
        vec![file("old\n", "0600", "www")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "content": "old\n",
            "group": "www",
            "mode": "0600",
            "owner": "www",
            "path": "/etc/motd",
            "state": "present"
          },
          "action": "update",
          "changes": [
            {
              "property": "content",
              "before": "old\n",
              "after": "new\n"
            }
          ],
          "ops": [
            {
              "op": "write_file",
              "path": "/etc/motd",
              "content": "new\n",
              "mode": "0600",
              "owner": "www",
              "group": "www"
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.file", &r));
}

#[test]
fn file_mode_only_is_a_chmod() {
    let r = plan_req(
        json!({"path": "/etc/motd", "content": "same\n", "mode": "644"}),
        facts(),
        vec![file("same\n", "0600", "root")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "content": "same\n",
            "group": "root",
            "mode": "0600",
            "owner": "root",
            "path": "/etc/motd",
            "state": "present"
          },
          "action": "update",
          "changes": [
            {
              "property": "mode",
              "before": "0600",
              "after": "0644"
            }
          ],
          "ops": [
            {
              "op": "chmod",
              "path": "/etc/motd",
              "mode": "0644",
              "recursive": false
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.file", &r));
}

#[test]
fn file_owner_only_is_a_chown() {
    let r = plan_req(
        json!({"path": "/etc/motd", "owner": "www"}),
        facts(),
        vec![file("same\n", "0644", "root")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "content": "same\n",
            "group": "root",
            "mode": "0644",
            "owner": "root",
            "path": "/etc/motd",
            "state": "present"
          },
          "action": "update",
          "changes": [
            {
              "property": "owner",
              "before": "root",
              "after": "www"
            }
          ],
          "ops": [
            {
              "op": "chown",
              "path": "/etc/motd",
              "owner": "www",
              "recursive": false
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.file", &r));
}

#[test]
fn file_converged_does_nothing() {
    let r = plan_req(
        json!({"path": "/etc/motd", "content": "same\n", "mode": "0644", "owner": "root"}),
        facts(),
        vec![file("same\n", "0644", "root")],
        false,
    );
    let p = plan_ok("linux.file", &r);
    assert_eq!(p.action, Action::None);
    assert!(p.ops.is_empty() && p.changes.is_empty());
}

#[test]
fn file_absent_removes() {
    let r = plan_req(
        json!({"path": "/etc/motd", "state": "absent"}),
        facts(),
        vec![file("x", "0644", "root")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "content": "x",
            "group": "root",
            "mode": "0644",
            "owner": "root",
            "path": "/etc/motd",
            "state": "present"
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            }
          ],
          "ops": [
            {
              "op": "remove",
              "path": "/etc/motd",
              "recursive": false
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.file", &r));
    let gone =
        plan_req(json!({"path": "/etc/motd", "state": "absent"}), facts(), vec![absent()], false);
    assert_eq!(plan_ok("linux.file", &gone).action, Action::None);
}

#[test]
fn file_directory_in_the_way_is_an_error() {
    let r = plan_req(
        json!({"path": "/etc", "content": "x"}),
        facts(),
        vec![dir("0755", "root")],
        false,
    );
    expect!["error: linux.file: /etc is a directory; a file cannot replace it (remove it, or use linux.directory)"].assert_eq(&plan("linux.file", &r));
}

#[test]
fn directory_cases() {
    let create = plan_req(
        json!({"path": "/srv/app", "mode": "750", "owner": "app"}),
        facts(),
        vec![absent()],
        false,
    );
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            },
            {
              "property": "mode",
              "before": null,
              "after": "0750"
            },
            {
              "property": "owner",
              "before": null,
              "after": "app"
            }
          ],
          "ops": [
            {
              "op": "mkdir",
              "path": "/srv/app",
              "mode": "0750",
              "owner": "app"
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.directory", &create));
    let chown = plan_req(
        json!({"path": "/srv/app", "owner": "app", "recursive": true}),
        facts(),
        vec![dir("0755", "root")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "group": "root",
            "mode": "0755",
            "owner": "root",
            "path": "/srv/app",
            "state": "present"
          },
          "action": "update",
          "changes": [
            {
              "property": "owner",
              "before": "root",
              "after": "app"
            }
          ],
          "ops": [
            {
              "op": "chown",
              "path": "/srv/app",
              "owner": "app",
              "recursive": true
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.directory", &chown));
    let remove = plan_req(
        json!({"path": "/srv/app", "state": "absent", "recursive": true}),
        facts(),
        vec![dir("0755", "root")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "group": "root",
            "mode": "0755",
            "owner": "root",
            "path": "/srv/app",
            "state": "present"
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            }
          ],
          "ops": [
            {
              "op": "remove",
              "path": "/srv/app",
              "recursive": true
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.directory", &remove));
    let file_in_the_way =
        plan_req(json!({"path": "/srv/app"}), facts(), vec![file("x", "0644", "root")], false);
    expect!["error: linux.directory: /srv/app exists and is a file, not a directory; froyo does not replace it"].assert_eq(&plan("linux.directory", &file_in_the_way));
    let same = plan_req(
        json!({"path": "/srv/app", "mode": "0755"}),
        facts(),
        vec![dir("0755", "root")],
        false,
    );
    assert_eq!(plan_ok("linux.directory", &same).action, Action::None);
}

#[test]
fn exec_probes_its_guards() {
    let props = json!({"command": "make install", "creates": "/usr/local/bin/app", "unless": "app --version", "onlyif": "test -f Makefile", "cwd": "/src", "env": {"CC": "gcc"}, "user": "build", "timeout": 60});
    expect![[r#"
        {
          "probes": [
            {
              "probe": "stat",
              "path": "/usr/local/bin/app"
            },
            {
              "probe": "command",
              "argv": [
                "/bin/sh",
                "-c",
                "app --version"
              ],
              "env": {
                "CC": "gcc"
              },
              "cwd": "/src",
              "user": "build",
              "timeout_ms": 60000
            },
            {
              "probe": "command",
              "argv": [
                "/bin/sh",
                "-c",
                "test -f Makefile"
              ],
              "env": {
                "CC": "gcc"
              },
              "cwd": "/src",
              "user": "build",
              "timeout_ms": 60000
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.exec", &probe_req(props, facts())));
}

#[test]
fn exec_runs_when_the_guards_say_so() {
    let props = json!({"command": "make install", "creates": "/usr/local/bin/app", "unless": "app --version", "timeout": 60});
    let runs = plan_req(props.clone(), facts(), vec![absent(), out(127, "")], false);
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "command",
              "before": null,
              "after": "make install"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "/bin/sh",
                  "-c",
                  "make install"
                ],
                "timeout_ms": 60000
              },
              "creates": "/usr/local/bin/app",
              "unless": {
                "argv": [
                  "/bin/sh",
                  "-c",
                  "app --version"
                ],
                "timeout_ms": 60000
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.exec", &runs));
    let created =
        plan_req(props.clone(), facts(), vec![file("", "0755", "root"), out(127, "")], false);
    expect![[r#"
        {
          "observed": null,
          "action": "none",
          "changes": [],
          "ops": [],
          "checks": [],
          "notes": [
            "skipped: /usr/local/bin/app exists (creates)"
          ]
        }"#]]
    .assert_eq(&plan("linux.exec", &created));
    let unless_ok = plan_req(props, facts(), vec![absent(), out(0, "1.0")], false);
    assert_eq!(plan_ok("linux.exec", &unless_ok).action, Action::None);
}

#[test]
fn exec_refresh_only_and_unguarded() {
    let props = json!({"command": "systemctl daemon-reload", "refresh_only": true});
    assert_eq!(
        plan_ok("linux.exec", &plan_req(props.clone(), facts(), vec![], false)).action,
        Action::None
    );
    expect![[r#"
        {
          "observed": null,
          "action": "refresh",
          "changes": [
            {
              "property": "command",
              "before": null,
              "after": "systemctl daemon-reload"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "/bin/sh",
                  "-c",
                  "systemctl daemon-reload"
                ],
                "timeout_ms": 300000
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.exec", &plan_req(props, facts(), vec![], true)));
    let unguarded = plan_req(json!({"command": "date"}), facts(), vec![], false);
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "command",
              "before": null,
              "after": "date"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "/bin/sh",
                  "-c",
                  "date"
                ],
                "timeout_ms": 300000
              }
            }
          ],
          "checks": [],
          "notes": [
            "no guard (creates, unless, onlyif) and not refresh_only: the command runs on every apply"
          ]
        }"#]].assert_eq(&plan("linux.exec", &unguarded));
}

fn with_manager(m: &str) -> Facts {
    Facts { package_manager: Some(m.into()), ..facts() }
}

#[test]
fn package_apt() {
    let latest = json!({"name": "nginx", "state": "latest"});
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "dpkg-query",
                "-W",
                "-f=${Status}\\t${Version}\\n",
                "nginx"
              ]
            },
            {
              "probe": "command",
              "argv": [
                "apt-cache",
                "policy",
                "nginx"
              ]
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.package", &probe_req(latest.clone(), facts())));
    let installed = out(0, "install ok installed\t1.22.1-9\n");
    let policy = out(0, "nginx:\n  Installed: 1.22.1-9\n  Candidate: 1.22.1-9+deb12u1\n");
    expect![[r#"
        {
          "observed": {
            "name": "nginx",
            "state": "present",
            "version": "1.22.1-9"
          },
          "action": "update",
          "changes": [
            {
              "property": "version",
              "before": "1.22.1-9",
              "after": "1.22.1-9+deb12u1"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "apt-get",
                  "install",
                  "-y",
                  "-q",
                  "--no-install-recommends",
                  "--only-upgrade",
                  "nginx"
                ],
                "env": {
                  "DEBIAN_FRONTEND": "noninteractive"
                }
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan(
        "linux.package",
        &plan_req(latest, facts(), vec![installed.clone(), policy], false),
    ));
    let missing = out(1, "");
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            },
            {
              "property": "version",
              "before": null,
              "after": "1.22.1-9"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "apt-get",
                  "install",
                  "-y",
                  "-q",
                  "--no-install-recommends",
                  "nginx=1.22.1-9"
                ],
                "env": {
                  "DEBIAN_FRONTEND": "noninteractive"
                }
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan(
        "linux.package",
        &plan_req(json!({"name": "nginx", "version": "1.22.1-9"}), facts(), vec![missing], false),
    ));
    expect![[r#"
        {
          "observed": {
            "name": "nginx",
            "state": "present",
            "version": "1.22.1-9"
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            },
            {
              "property": "version",
              "before": "1.22.1-9",
              "after": null
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "apt-get",
                  "remove",
                  "-y",
                  "-q",
                  "nginx"
                ],
                "env": {
                  "DEBIAN_FRONTEND": "noninteractive"
                }
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan(
        "linux.package",
        &plan_req(json!({"name": "nginx", "state": "absent"}), facts(), vec![installed], false),
    ));
}

#[test]
fn package_dnf_yum_zypper_apk() {
    let p = json!({"name": "httpd", "state": "latest"});
    let rpm = out(0, "2.4.57-5.fc39\n");
    let dnf = plan_req(
        p.clone(),
        with_manager("dnf"),
        vec![rpm.clone(), out(100, "\nhttpd.x86_64  2.4.58-1.fc39  updates\n")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "name": "httpd",
            "state": "present",
            "version": "2.4.57-5.fc39"
          },
          "action": "update",
          "changes": [
            {
              "property": "version",
              "before": "2.4.57-5.fc39",
              "after": "2.4.58-1.fc39"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "dnf",
                  "upgrade",
                  "-y",
                  "httpd"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.package", &dnf));
    let yum = plan_req(
        json!({"name": "httpd"}),
        with_manager("yum"),
        vec![out(1, "package httpd is not installed\n")],
        false,
    );
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "yum",
                  "install",
                  "-y",
                  "httpd"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.package", &yum));
    let zypper = plan_req(
        json!({"name": "httpd", "state": "absent"}),
        with_manager("zypper"),
        vec![rpm],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "name": "httpd",
            "state": "present",
            "version": "2.4.57-5.fc39"
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            },
            {
              "property": "version",
              "before": "2.4.57-5.fc39",
              "after": null
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "zypper",
                  "--non-interactive",
                  "remove",
                  "httpd"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.package", &zypper));
    let apk = plan_req(
        p.clone(),
        with_manager("apk"),
        vec![
            out(0, "httpd\n"),
            out(
                0,
                "Installed:                                Available:\nhttpd-2.4.57-r0                         < 2.4.58-r0\n",
            ),
        ],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "name": "httpd",
            "state": "present",
            "version": "2.4.57-r0"
          },
          "action": "update",
          "changes": [
            {
              "property": "version",
              "before": "2.4.57-r0",
              "after": "2.4.58-r0"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "apk",
                  "add",
                  "--upgrade",
                  "httpd"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.package", &apk));
    let apk_missing =
        plan_req(json!({"name": "curl"}), with_manager("apk"), vec![out(1, "")], false);
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "apk",
                  "add",
                  "curl"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.package", &apk_missing));
    let none = Facts { package_manager: None, ..facts() };
    expect!["error: linux.package: no supported package manager on this host (apt, dnf, yum, zypper, apk)"].assert_eq(&probe("linux.package", &probe_req(p, none)));
}

#[test]
fn service_cases() {
    let p = json!({"name": "nginx"});
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "systemctl",
                "is-active",
                "nginx"
              ]
            },
            {
              "probe": "command",
              "argv": [
                "systemctl",
                "is-enabled",
                "nginx"
              ]
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.service", &probe_req(p.clone(), facts())));
    let stopped =
        plan_req(p.clone(), facts(), vec![out(3, "inactive\n"), out(1, "disabled\n")], false);
    expect![[r#"
        {
          "observed": {
            "enabled": false,
            "name": "nginx",
            "state": "stopped"
          },
          "action": "update",
          "changes": [
            {
              "property": "state",
              "before": "stopped",
              "after": "running"
            },
            {
              "property": "enabled",
              "before": false,
              "after": true
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "systemctl",
                  "start",
                  "nginx"
                ]
              }
            },
            {
              "op": "exec",
              "command": {
                "argv": [
                  "systemctl",
                  "enable",
                  "nginx"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.service", &stopped));
    let running = vec![out(0, "active\n"), out(0, "enabled\n")];
    assert_eq!(
        plan_ok("linux.service", &plan_req(p.clone(), facts(), running.clone(), false)).action,
        Action::None
    );
    expect![[r#"
        {
          "observed": {
            "enabled": true,
            "name": "nginx",
            "state": "running"
          },
          "action": "refresh",
          "changes": [],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "systemctl",
                  "restart",
                  "nginx"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.service", &plan_req(p.clone(), facts(), running, true)));
    let no_init = Facts { init_system: None, ..facts() };
    expect!["error: linux.service: unsupported on this host: no init system froyo knows (systemd, openrc, sysvinit)"]
        .assert_eq(&plan("linux.service", &plan_req(p, no_init, vec![], false)));
}

/// The argument vectors of a plan's operations, one per line.
fn exec_lines(response: &froyo_provider_api::PlanResponse) -> String {
    response
        .ops
        .iter()
        .map(|op| match op {
            froyo_provider_api::Op::Exec { command, .. } => command.argv.join(" "),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// sysvinit through the real component: its probes (`service`, a stat, `ls`)
/// and its operations (`service`, `update-rc.d`) pass the capability checks.
#[test]
fn service_sysvinit_cases() {
    let p = json!({"name": "apache2"});
    let sysvinit = || Facts { init_system: Some("sysvinit".into()), ..facts() };
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "service",
                "apache2",
                "status"
              ]
            },
            {
              "probe": "stat",
              "path": "/etc/init.d/apache2"
            },
            {
              "probe": "command",
              "argv": [
                "ls",
                "-1",
                "/etc/rcS.d",
                "/etc/rc2.d",
                "/etc/rc3.d",
                "/etc/rc4.d",
                "/etc/rc5.d"
              ]
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.service", &probe_req(p.clone(), sysvinit())));
    // Dead with its pid file left (LSB 1), no links yet: started, and enabled
    // with `defaults` first.
    let script = || file("#!/bin/sh\n", "0755", "root");
    let dead = plan_req(
        p.clone(),
        sysvinit(),
        vec![
            out(1, "apache2 is not running ... failed!\n"),
            script(),
            out(0, "/etc/rc2.d:\nS01ssh\n"),
        ],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "enabled": false,
            "name": "apache2",
            "state": "stopped"
          },
          "action": "update",
          "changes": [
            {
              "property": "state",
              "before": "stopped",
              "after": "running"
            },
            {
              "property": "enabled",
              "before": false,
              "after": true
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "service",
                  "apache2",
                  "start"
                ]
              }
            },
            {
              "op": "exec",
              "command": {
                "argv": [
                  "update-rc.d",
                  "apache2",
                  "defaults"
                ]
              }
            },
            {
              "op": "exec",
              "command": {
                "argv": [
                  "update-rc.d",
                  "apache2",
                  "enable"
                ]
              }
            }
          ],
          "checks": [],
          "notes": [
            "service apache2 is dead but its pid file remains (LSB status 1): it is not running"
          ]
        }"#]]
    .assert_eq(&plan("linux.service", &dead));
    // Running and enabled: converged, or restarted when notified.
    let running =
        || vec![out(0, "apache2 is running.\n"), script(), out(0, "/etc/rc2.d:\nS01apache2\n")];
    let converged = plan_ok("linux.service", &plan_req(p.clone(), sysvinit(), running(), false));
    assert_eq!(converged.action, Action::None);
    let notified = plan_ok("linux.service", &plan_req(p.clone(), sysvinit(), running(), true));
    assert_eq!(notified.action, Action::Refresh);
    expect!["service apache2 restart"].assert_eq(&exec_lines(&notified));
    // Stopped and disabled on request.
    let off = plan_ok(
        "linux.service",
        &plan_req(
            json!({"name": "apache2", "state": "stopped", "enabled": false}),
            sysvinit(),
            running(),
            false,
        ),
    );
    expect![[r#"
        service apache2 stop
        update-rc.d apache2 disable"#]]
    .assert_eq(&exec_lines(&off));
}

/// OpenRC through the real component: a crashed service is not running, and
/// is reset before its start.
#[test]
fn service_openrc_cases() {
    let p = json!({"name": "nginx"});
    let openrc =
        || Facts { init_system: Some("openrc".into()), os_family: "alpine".into(), ..facts() };
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "rc-service",
                "nginx",
                "status"
              ]
            },
            {
              "probe": "stat",
              "path": "/etc/init.d/nginx"
            },
            {
              "probe": "stat",
              "path": "/etc/runlevels/default/nginx"
            },
            {
              "probe": "stat",
              "path": "/etc/runlevels/boot/nginx"
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.service", &probe_req(p.clone(), openrc())));
    let script = || file("#!/sbin/openrc-run\n", "0755", "root");
    let crashed = plan_ok(
        "linux.service",
        &plan_req(
            p.clone(),
            openrc(),
            vec![out(32, " * status: crashed\n"), script(), absent(), absent()],
            true,
        ),
    );
    assert_eq!(crashed.action, Action::Update);
    assert_eq!(crashed.observed.as_ref().and_then(|o| o.get("state")), Some(&json!("stopped")));
    expect![[r#"
        rc-service nginx zap
        rc-service nginx start
        rc-update add nginx default
        rc-service nginx restart"#]]
    .assert_eq(&exec_lines(&crashed));
    let started = || vec![out(0, " * status: started\n"), script(), dir("0755", "root"), absent()];
    let notified = plan_ok("linux.service", &plan_req(p.clone(), openrc(), started(), true));
    assert_eq!(notified.action, Action::Refresh);
    expect!["rc-service nginx restart"].assert_eq(&exec_lines(&notified));
    let off = plan_ok(
        "linux.service",
        &plan_req(
            json!({"name": "nginx", "state": "stopped", "enabled": false}),
            openrc(),
            started(),
            false,
        ),
    );
    expect![[r#"
        rc-service nginx stop
        rc-update del nginx default"#]]
    .assert_eq(&exec_lines(&off));
}

#[test]
fn user_cases() {
    let p = json!({"name": "deploy", "uid": 1500, "groups": ["sudo", "adm"], "shell": "/bin/bash", "password": "$6$salt$hash"});
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "getent",
                "passwd",
                "deploy"
              ]
            },
            {
              "probe": "command",
              "argv": [
                "id",
                "-Gn",
                "deploy"
              ]
            },
            {
              "probe": "command",
              "argv": [
                "getent",
                "shadow",
                "deploy"
              ]
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.user", &probe_req(p.clone(), facts())));
    let create = plan_req(p.clone(), facts(), vec![out(2, ""), out(1, ""), out(2, "")], false);
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            },
            {
              "property": "uid",
              "before": null,
              "after": 1500
            },
            {
              "property": "groups",
              "before": null,
              "after": [
                "adm",
                "sudo"
              ]
            },
            {
              "property": "shell",
              "before": null,
              "after": "/bin/bash"
            },
            {
              "property": "password",
              "before": null,
              "after": "$6$salt$hash"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "useradd",
                  "-u",
                  "1500",
                  "-G",
                  "sudo,adm",
                  "-s",
                  "/bin/bash",
                  "-m",
                  "deploy"
                ]
              }
            },
            {
              "op": "exec",
              "command": {
                "argv": [
                  "chpasswd",
                  "-e"
                ],
                "stdin": "deploy:$6$salt$hash\n"
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.user", &create));
    let passwd = out(0, "deploy:x:1500:1500::/home/deploy:/bin/sh\n");
    let ids = out(0, "deploy adm\n");
    let update = plan_req(
        p.clone(),
        facts(),
        vec![passwd.clone(), ids.clone(), out(0, "deploy:$6$old$x:19000:0:99999:7:::\n")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "group": "deploy",
            "groups": [
              "adm"
            ],
            "home": "/home/deploy",
            "name": "deploy",
            "password": "$6$old$x",
            "shell": "/bin/sh",
            "state": "present",
            "uid": 1500
          },
          "action": "update",
          "changes": [
            {
              "property": "groups",
              "before": [
                "adm"
              ],
              "after": [
                "adm",
                "sudo"
              ]
            },
            {
              "property": "shell",
              "before": "/bin/sh",
              "after": "/bin/bash"
            },
            {
              "property": "password",
              "before": "$6$old$x",
              "after": "$6$salt$hash"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "usermod",
                  "-G",
                  "sudo,adm",
                  "-s",
                  "/bin/bash",
                  "deploy"
                ]
              }
            },
            {
              "op": "exec",
              "command": {
                "argv": [
                  "chpasswd",
                  "-e"
                ],
                "stdin": "deploy:$6$salt$hash\n"
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.user", &update));
    let unreadable = plan_req(
        json!({"name": "deploy", "password": "$6$salt$hash"}),
        facts(),
        vec![passwd.clone(), ids.clone(), out(2, "")],
        false,
    );
    expect![[r#"
        {
          "observed": {
            "group": "deploy",
            "groups": [
              "adm"
            ],
            "home": "/home/deploy",
            "name": "deploy",
            "shell": "/bin/sh",
            "state": "present",
            "uid": 1500
          },
          "action": "none",
          "changes": [],
          "ops": [],
          "checks": [],
          "notes": [
            "the password of deploy cannot be compared (the shadow database is not readable; run as root): left as it is"
          ]
        }"#]].assert_eq(&plan("linux.user", &unreadable));
    let same = plan_req(
        json!({"name": "deploy", "uid": 1500, "groups": ["adm"], "password": "$6$salt$hash"}),
        facts(),
        vec![passwd.clone(), ids.clone(), out(0, "deploy:$6$salt$hash:19000::::::\n")],
        false,
    );
    assert_eq!(plan_ok("linux.user", &same).action, Action::None);
    let remove =
        plan_req(json!({"name": "deploy", "state": "absent"}), facts(), vec![passwd, ids], false);
    expect![[r#"
        {
          "observed": {
            "group": "deploy",
            "groups": [
              "adm"
            ],
            "home": "/home/deploy",
            "name": "deploy",
            "shell": "/bin/sh",
            "state": "present",
            "uid": 1500
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "userdel",
                  "deploy"
                ]
              },
              "onlyif": {
                "argv": [
                  "getent",
                  "passwd",
                  "deploy"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.user", &remove));
}

#[test]
fn user_password_never_on_argv() {
    let p = json!({"name": "deploy", "password": "$6$secret$hash"});
    let plan = plan_ok(
        "linux.user",
        &plan_req(p, facts(), vec![out(2, ""), out(1, ""), out(2, "")], false),
    );
    for op in &plan.ops {
        for c in op.commands() {
            assert!(c.argv.iter().all(|a| !a.contains("secret")), "{:?}", c.argv);
        }
    }
    assert!(plan.ops.iter().any(|op| {
        op.commands().iter().any(|c| c.stdin.as_deref() == Some("deploy:$6$secret$hash\n"))
    }));
}

#[test]
fn group_cases() {
    let p = json!({"name": "app", "gid": 1200, "system": true});
    expect![[r#"
        {
          "probes": [
            {
              "probe": "command",
              "argv": [
                "getent",
                "group",
                "app"
              ]
            }
          ]
        }"#]]
    .assert_eq(&probe("linux.group", &probe_req(p.clone(), facts())));
    expect![[r#"
        {
          "observed": null,
          "action": "create",
          "changes": [
            {
              "property": "state",
              "before": "absent",
              "after": "present"
            },
            {
              "property": "gid",
              "before": null,
              "after": 1200
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "groupadd",
                  "-g",
                  "1200",
                  "-r",
                  "app"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan("linux.group", &plan_req(p.clone(), facts(), vec![out(2, "")], false)));
    expect![[r#"
        {
          "observed": {
            "gid": 1100,
            "name": "app",
            "state": "present"
          },
          "action": "update",
          "changes": [
            {
              "property": "gid",
              "before": 1100,
              "after": 1200
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "groupmod",
                  "-g",
                  "1200",
                  "app"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan(
        "linux.group",
        &plan_req(p.clone(), facts(), vec![out(0, "app:x:1100:\n")], false),
    ));
    assert_eq!(
        plan_ok("linux.group", &plan_req(p, facts(), vec![out(0, "app:x:1200:\n")], false)).action,
        Action::None
    );
    expect![[r#"
        {
          "observed": {
            "gid": 1100,
            "name": "app",
            "state": "present"
          },
          "action": "delete",
          "changes": [
            {
              "property": "state",
              "before": "present",
              "after": "absent"
            }
          ],
          "ops": [
            {
              "op": "exec",
              "command": {
                "argv": [
                  "groupdel",
                  "app"
                ]
              },
              "onlyif": {
                "argv": [
                  "getent",
                  "group",
                  "app"
                ]
              }
            }
          ],
          "checks": [],
          "notes": []
        }"#]]
    .assert_eq(&plan(
        "linux.group",
        &plan_req(
            json!({"name": "app", "state": "absent"}),
            facts(),
            vec![out(0, "app:x:1100:\n")],
            false,
        ),
    ));
}

#[test]
fn http_check_and_verify() {
    let p = json!({"url": "http://localhost:8080/health", "method": "GET", "status": 200, "body": "\"status\":\\s*\"ok\"", "headers": {"Authorization": "Bearer t"}, "retries": 5, "interval": 1, "timeout": 3});
    expect![[r#"
        {
          "probes": []
        }"#]]
    .assert_eq(&probe("probe.http", &probe_req(p.clone(), facts())));
    expect![[r#"
        {
          "observed": null,
          "action": "check",
          "changes": [],
          "ops": [],
          "checks": [
            {
              "probe": {
                "probe": "http",
                "url": "http://localhost:8080/health",
                "method": "GET",
                "headers": {
                  "Authorization": "Bearer t"
                },
                "timeout_ms": 3000
              },
              "retries": 5,
              "interval_ms": 1000
            }
          ],
          "notes": []
        }"#]]
    .assert_eq(&plan("probe.http", &plan_req(p.clone(), facts(), vec![], false)));
    let verify = |status: u16, body: &str| {
        let r = VerifyRequest {
            properties: props(p.clone()),
            result: ProbeOutcome::Ok(ProbeResult::Http(HttpResponse {
                status,
                headers: Default::default(),
                body: body.into(),
            })),
        };
        json(&host().verify("probe.http", &r).expect("verify runs"))
    };
    expect![[r#"
        {
          "ok": true,
          "message": ""
        }"#]]
    .assert_eq(&verify(200, "{\"status\": \"ok\"}"));
    expect![[r#"
        {
          "ok": false,
          "message": "status 503 (expected 200)"
        }"#]]
    .assert_eq(&verify(503, "{\"status\": \"ok\"}"));
    expect![[r#"
        {
          "ok": false,
          "message": "the body does not match /\"status\":\\s*\"ok\"/"
        }"#]]
    .assert_eq(&verify(200, "{\"status\": \"down\"}"));
    let failed = VerifyRequest {
        properties: props(p.clone()),
        result: ProbeOutcome::Error("connection refused".into()),
    };
    expect![[r#"
        {
          "ok": false,
          "message": "the request failed: connection refused"
        }"#]]
    .assert_eq(&json(&host().verify("probe.http", &failed).expect("verify runs")));
    let bad_regex = plan_req(json!({"url": "http://x/", "body": "("}), facts(), vec![], false);
    expect![[r#"
        error: probe.http: `body` is not a valid regular expression:
        regex parse error:
            (
            ^
        error: unclosed group"#]]
    .assert_eq(&plan("probe.http", &bad_regex));
}

#[test]
fn bad_requests_are_errors_not_crashes() {
    let r = plan_req(json!({"content": "x"}), facts(), vec![absent()], false);
    expect!["error: linux.file: property `path` is required"].assert_eq(&plan("linux.file", &r));
    let no_probe = plan_req(json!({"path": "/x"}), facts(), vec![], false);
    expect!["error: linux.file: the result of probe 0 (stat /x) is missing"]
        .assert_eq(&plan("linux.file", &no_probe));
    expect!["error: no provider for resource type linux.nope (known: linux.directory, linux.exec, linux.file, linux.group, linux.package, linux.service, linux.user, probe.http, test.overreach)"].assert_eq(&plan("linux.nope", &no_probe));
}
