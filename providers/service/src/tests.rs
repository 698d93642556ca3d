//! The backends' probes and plans, from synthetic requests: each case is the
//! host's answers to the probes and the plan a user would see, rendered as
//! text (`UPDATE_EXPECT=1 cargo test -p froyo-provider-service` rewrites the
//! expectations).

use expect_test::{Expect, expect};
use froyo_provider_sdk::{
    CommandOutput, Op, PlanResponse, Probe, ProbeOutcome, ProbeResult, Stat, Value, json,
};

use super::*;

fn facts(init: Option<&str>) -> Facts {
    Facts { init_system: init.map(str::to_owned), ..Facts::default() }
}

fn properties(value: Value) -> Properties {
    value.as_object().cloned().unwrap_or_default()
}

/// A command probe's result.
fn ran(status: i32, stdout: &str) -> ProbeResult {
    ProbeResult::Command(CommandOutput {
        status: Some(status),
        stdout: stdout.into(),
        stderr: String::new(),
        timed_out: false,
    })
}

/// A stat probe's result: whether the path exists.
fn path(exists: bool) -> ProbeResult {
    ProbeResult::Stat(Stat {
        exists,
        kind: if exists { "file" } else { "" }.into(),
        ..Stat::default()
    })
}

/// The probes of a `linux.service` with `props` on a host with `init`, one line each.
fn probes(init: &str, props: Value) -> String {
    let request = ProbeRequest { properties: properties(props), facts: facts(Some(init)) };
    match probe_service(&request) {
        Err(error) => format!("error: {error}"),
        Ok(response) => response.probes.iter().map(describe_probe).collect::<Vec<_>>().join("\n"),
    }
}

fn describe_probe(probe: &Probe) -> String {
    match probe {
        Probe::Command(command) => format!("run {}", command.argv.join(" ")),
        Probe::Stat { path, .. } => format!("stat {path}"),
        Probe::Http { url, .. } => format!("http {url}"),
    }
}

/// The plan for `props` on a host with `init` whose probes answered `results`.
fn plan_text(init: &str, props: Value, results: Vec<ProbeResult>, notified: bool) -> String {
    let request = PlanRequest {
        properties: properties(props),
        facts: facts(Some(init)),
        probes: results.into_iter().map(ProbeOutcome::Ok).collect(),
        notified,
    };
    match plan_service(&request) {
        Err(error) => format!("error: {error}"),
        Ok(response) => describe_plan(&response),
    }
}

fn describe_plan(response: &PlanResponse) -> String {
    let mut lines = Vec::new();
    if let Some(observed) = &response.observed {
        lines.push(format!(
            "observed: {}, {}",
            observed.get("state").and_then(Value::as_str).unwrap_or("?"),
            if observed.get("enabled") == Some(&Value::Bool(true)) {
                "enabled"
            } else {
                "disabled"
            }
        ));
    }
    lines.push(format!("action: {:?}", response.action));
    for change in &response.changes {
        let show = |value: &Option<Value>| value.as_ref().map_or("-".into(), Value::to_string);
        lines.push(format!(
            "change {}: {} -> {}",
            change.property,
            show(&change.before),
            show(&change.after)
        ));
    }
    for op in &response.ops {
        match op {
            Op::Exec { command, .. } => lines.push(format!("exec {}", command.argv.join(" "))),
            other => lines.push(format!("op {}", other.kind())),
        }
    }
    for note in &response.notes {
        lines.push(format!("note: {note}"));
    }
    lines.join("\n")
}

fn check(actual: String, expected: Expect) {
    expected.assert_eq(&actual);
}

#[test]
fn hosts_without_a_known_init_system_are_refused() {
    for init in [None, Some("runit"), Some("")] {
        let request =
            ProbeRequest { properties: properties(json!({"name": "nginx"})), facts: facts(init) };
        assert_eq!(
            probe_service(&request).unwrap_err(),
            "linux.service: unsupported on this host: no init system froyo knows (systemd, openrc, sysvinit)"
        );
        let request = PlanRequest {
            properties: properties(json!({"name": "nginx"})),
            facts: facts(init),
            probes: Vec::new(),
            notified: false,
        };
        assert!(plan_service(&request).unwrap_err().contains("no init system froyo knows"));
    }
}

#[test]
fn the_descriptor_declares_every_backends_programs() {
    let descriptor = ServiceProvider::describe();
    expect!["systemctl service update-rc.d ls rc-service rc-update"]
        .assert_eq(&descriptor.capabilities.commands.join(" "));
    // Every program a probe or operation runs is declared.
    let mut programs = Vec::new();
    for init in ["systemd", "sysvinit", "openrc"] {
        let request = ProbeRequest {
            properties: properties(json!({"name": "web"})),
            facts: facts(Some(init)),
        };
        for probe in probe_service(&request).unwrap().probes {
            if let Probe::Command(command) = probe {
                programs.push(command.argv[0].clone());
            }
        }
    }
    let request = |init: &str, results: Vec<ProbeResult>| PlanRequest {
        properties: properties(json!({"name": "web", "enabled": false})),
        facts: facts(Some(init)),
        probes: results.into_iter().map(ProbeOutcome::Ok).collect(),
        notified: false,
    };
    for (init, results) in [
        ("systemd", vec![ran(3, "inactive\n"), ran(0, "enabled\n")]),
        ("sysvinit", vec![ran(3, ""), path(true), ran(0, "S01web\n")]),
        ("sysvinit", vec![ran(3, ""), path(true), ran(0, "")]),
        ("openrc", vec![ran(32, ""), path(true), path(true), path(true)]),
    ] {
        let mut plan = plan_service(&request(init, results.clone())).unwrap();
        let mut enabling = request(init, results);
        enabling.properties.insert("enabled".into(), Value::Bool(true));
        enabling.properties.insert("state".into(), Value::from("stopped"));
        plan.ops.extend(plan_service(&enabling).unwrap().ops);
        for op in plan.ops {
            if let Op::Exec { command, .. } = op {
                programs.push(command.argv[0].clone());
            }
        }
    }
    for program in &programs {
        assert!(descriptor.capabilities.commands.contains(program), "{program} is not declared");
    }
}

#[test]
fn names_that_are_not_a_script_in_init_d_are_refused() {
    for name in ["../../tmp/x", "a/b", "..", ".", "bad\nname"] {
        for init in ["sysvinit", "openrc"] {
            let text = probes(init, json!({"name": name}));
            assert!(text.contains("must be the file name of a script in /etc/init.d"), "{text}");
        }
    }
    check(
        probes("sysvinit", json!({"name": "-f"})),
        expect![[r#"error: linux.service: unit name "-f" must not start with '-'"#]],
    );
}

#[test]
fn systemd() {
    check(
        probes("systemd", json!({"name": "nginx"})),
        expect![[r#"
            run systemctl is-active nginx
            run systemctl is-enabled nginx"#]],
    );
    let nginx = || json!({"name": "nginx"});
    check(
        plan_text("systemd", nginx(), vec![ran(3, "inactive\n"), ran(1, "disabled\n")], false),
        expect![[r#"
            observed: stopped, disabled
            action: Update
            change state: "stopped" -> "running"
            change enabled: false -> true
            exec systemctl start nginx
            exec systemctl enable nginx"#]],
    );
    check(
        plan_text("systemd", nginx(), vec![ran(0, "active\n"), ran(0, "enabled\n")], false),
        expect![[r#"
            observed: running, enabled
            action: None"#]],
    );
    check(
        plan_text("systemd", nginx(), vec![ran(0, "active\n"), ran(0, "enabled\n")], true),
        expect![[r#"
            observed: running, enabled
            action: Refresh
            exec systemctl restart nginx"#]],
    );
    // A unit systemd starts by itself: `enabled` is not applied.
    check(
        plan_text("systemd", nginx(), vec![ran(0, "active\n"), ran(0, "static\n")], false),
        expect![[r#"
            observed: running, disabled
            action: None
            note: unit nginx is static: systemd decides when it starts; `enabled` is not applied"#]],
    );
}

/// `service` status, the init script's existence, the `ls` of the runlevels.
fn sysv(status: i32, installed: bool, listing: &str) -> Vec<ProbeResult> {
    vec![ran(status, ""), path(installed), ran(0, listing)]
}

const ENABLED: &str =
    "/etc/rcS.d:\nS01udev\n\n/etc/rc2.d:\nS01ssh\nS01web\n\n/etc/rc3.d:\nS01web\n";
const DISABLED: &str = "/etc/rcS.d:\n\n/etc/rc2.d:\nK01web\nS01ssh\n\n/etc/rc3.d:\nK01web\n";
const NO_LINKS: &str = "/etc/rcS.d:\n\n/etc/rc2.d:\nS01ssh\nS01webapp\n";

#[test]
fn sysvinit_probes() {
    check(
        probes("sysvinit", json!({"name": "web"})),
        expect![[r#"
            run service web status
            stat /etc/init.d/web
            run ls -1 /etc/rcS.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d"#]],
    );
}

#[test]
fn sysvinit_running_stopped_and_dead() {
    let web = || json!({"name": "web"});
    check(
        plan_text("sysvinit", web(), sysv(0, true, ENABLED), false),
        expect![[r#"
            observed: running, enabled
            action: None"#]],
    );
    check(
        plan_text("sysvinit", web(), sysv(3, true, ENABLED), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start"#]],
    );
    // The daemon died and left its pid file: not running, so it is started.
    check(
        plan_text("sysvinit", web(), sysv(1, true, ENABLED), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start
            note: service web is dead but its pid file remains (LSB status 1): it is not running"#]],
    );
    check(
        plan_text("sysvinit", web(), sysv(2, true, ENABLED), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start
            note: service web is dead but its lock file remains (LSB status 2): it is not running"#]],
    );
    check(
        plan_text("sysvinit", web(), sysv(4, true, ENABLED), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start
            note: service web reports its status as unknown (LSB status 4): taken as not running"#]],
    );
    check(
        plan_text("sysvinit", web(), sysv(127, true, ENABLED), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start
            note: `service web status` exited with 127, which the LSB does not define: taken as not running"#]],
    );
    // Dead and meant to be stopped: nothing to do.
    check(
        plan_text(
            "sysvinit",
            json!({"name": "web", "state": "stopped"}),
            sysv(1, true, ENABLED),
            false,
        ),
        expect![[r#"
            observed: stopped, enabled
            action: None
            note: service web is dead but its pid file remains (LSB status 1): it is not running"#]],
    );
    check(
        plan_text(
            "sysvinit",
            json!({"name": "web", "state": "stopped"}),
            sysv(0, true, ENABLED),
            false,
        ),
        expect![[r#"
            observed: running, enabled
            action: Update
            change state: "running" -> "stopped"
            exec service web stop"#]],
    );
}

#[test]
fn sysvinit_not_installed_is_planned_with_a_note() {
    // `service` says "unrecognized service" and exits 1, which is not LSB's
    // "dead": the missing script says why. A package may install it first.
    check(
        plan_text("sysvinit", json!({"name": "web"}), sysv(1, false, NO_LINKS), false),
        expect![[r#"
            observed: stopped, disabled
            action: Update
            change state: "stopped" -> "running"
            change enabled: false -> true
            exec service web start
            exec update-rc.d web defaults
            exec update-rc.d web enable
            note: init script /etc/init.d/web is not installed on the host now"#]],
    );
}

#[test]
fn sysvinit_enablement_from_the_runlevel_links() {
    let web = |enabled: bool| json!({"name": "web", "enabled": enabled});
    // Links exist but are stop links: `enable` renames them.
    check(
        plan_text("sysvinit", web(true), sysv(0, true, DISABLED), false),
        expect![[r#"
            observed: running, disabled
            action: Update
            change enabled: false -> true
            exec update-rc.d web enable"#]],
    );
    // No links at all (`webapp` is another script): `defaults` creates them first.
    check(
        plan_text("sysvinit", web(true), sysv(0, true, NO_LINKS), false),
        expect![[r#"
            observed: running, disabled
            action: Update
            change enabled: false -> true
            exec update-rc.d web defaults
            exec update-rc.d web enable"#]],
    );
    check(
        plan_text("sysvinit", web(false), sysv(0, true, ENABLED), false),
        expect![[r#"
            observed: running, enabled
            action: Update
            change enabled: true -> false
            exec update-rc.d web disable"#]],
    );
    for listing in [DISABLED, NO_LINKS] {
        check(
            plan_text("sysvinit", web(false), sysv(0, true, listing), false),
            expect![[r#"
                observed: running, disabled
                action: None"#]],
        );
    }
}

#[test]
fn sysvinit_notified_restarts() {
    let web = || json!({"name": "web"});
    check(
        plan_text("sysvinit", web(), sysv(0, true, ENABLED), true),
        expect![[r#"
            observed: running, enabled
            action: Refresh
            exec service web restart"#]],
    );
    // Not running when planned: started, then restarted all the same (a
    // package installed earlier in the apply may start it with the old
    // configuration before the change that notified it is written).
    check(
        plan_text("sysvinit", web(), sysv(1, true, ENABLED), true),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec service web start
            exec service web restart
            note: service web is dead but its pid file remains (LSB status 1): it is not running"#]],
    );
    // Meant to be stopped: no restart.
    check(
        plan_text(
            "sysvinit",
            json!({"name": "web", "state": "stopped"}),
            sysv(3, true, ENABLED),
            true,
        ),
        expect![[r#"
            observed: stopped, enabled
            action: None"#]],
    );
}

#[test]
fn sysvinit_a_status_that_did_not_finish_is_an_error() {
    let mut results = sysv(0, true, ENABLED);
    results[0] = ProbeResult::Command(CommandOutput {
        status: None,
        stdout: String::new(),
        stderr: String::new(),
        timed_out: true,
    });
    check(
        plan_text("sysvinit", json!({"name": "web"}), results, false),
        expect![
            "error: linux.service: `service web status` timed out, so whether the service runs is unknown"
        ],
    );
    check(
        plan_text("sysvinit", json!({"name": "web"}), vec![ran(0, "")], false),
        expect!["error: linux.service: the result of probe 1 (/etc/init.d/web) is missing"],
    );
    let request = PlanRequest {
        properties: properties(json!({"name": "web"})),
        facts: facts(Some("sysvinit")),
        probes: vec![
            ProbeOutcome::Ok(ran(0, "")),
            ProbeOutcome::Ok(path(true)),
            ProbeOutcome::Error("permission denied".into()),
        ],
        notified: false,
    };
    check(
        plan_service(&request).map_or_else(|error| error, |_| String::new()),
        expect!["linux.service: ls /etc/rc?.d failed: permission denied"],
    );
}

/// `rc-service` status and its output, the script, the default and boot links.
fn openrc(status: i32, said: &str, installed: bool, default: bool, boot: bool) -> Vec<ProbeResult> {
    vec![ran(status, said), path(installed), path(default), path(boot)]
}

#[test]
fn openrc_probes() {
    check(
        probes("openrc", json!({"name": "nginx"})),
        expect![[r#"
            run rc-service nginx status
            stat /etc/init.d/nginx
            stat /etc/runlevels/default/nginx
            stat /etc/runlevels/boot/nginx"#]],
    );
}

#[test]
fn openrc_running_stopped_and_crashed() {
    let nginx = || json!({"name": "nginx"});
    check(
        plan_text("openrc", nginx(), openrc(0, " * status: started\n", true, true, false), false),
        expect![[r#"
            observed: running, enabled
            action: None"#]],
    );
    check(
        plan_text("openrc", nginx(), openrc(3, " * status: stopped\n", true, true, false), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec rc-service nginx start"#]],
    );
    // Crashed: OpenRC still marks it started; it is not running, and a plain
    // `start` would be refused as "already started".
    check(
        plan_text("openrc", nginx(), openrc(32, " * status: crashed\n", true, true, false), false),
        expect![[r#"
            observed: stopped, enabled
            action: Update
            change state: "stopped" -> "running"
            exec rc-service nginx zap
            exec rc-service nginx start
            note: service nginx crashed (OpenRC marks it started, its daemon is gone): it is not running; it is reset with `rc-service nginx zap` before a start"#]],
    );
    // An OpenRC that says crashed with another exit code is believed too.
    let crashed_zero =
        plan_text("openrc", nginx(), openrc(0, " * status: crashed\n", true, true, false), false);
    assert!(crashed_zero.starts_with("observed: stopped"), "{crashed_zero}");
    for (code, state) in [(4, "stopping"), (8, "starting"), (16, "inactive")] {
        let text = plan_text("openrc", nginx(), openrc(code, "", true, true, false), false);
        assert!(
            text.contains(&format!("note: service nginx is {state}: taken as not running")),
            "{text}"
        );
        assert!(text.contains("exec rc-service nginx start"), "{text}");
    }
    check(
        plan_text(
            "openrc",
            json!({"name": "nginx", "state": "stopped"}),
            openrc(0, "", true, true, false),
            false,
        ),
        expect![[r#"
            observed: running, enabled
            action: Update
            change state: "running" -> "stopped"
            exec rc-service nginx stop"#]],
    );
}

#[test]
fn openrc_not_installed_is_planned_with_a_note() {
    check(
        plan_text(
            "openrc",
            json!({"name": "nginx"}),
            openrc(1, " * rc-service: service `nginx' does not exist\n", false, false, false),
            false,
        ),
        expect![[r#"
            observed: stopped, disabled
            action: Update
            change state: "stopped" -> "running"
            change enabled: false -> true
            exec rc-service nginx start
            exec rc-update add nginx default
            note: init script /etc/init.d/nginx is not installed on the host now"#]],
    );
}

#[test]
fn openrc_enablement_from_the_runlevels() {
    let nginx = |enabled: bool| json!({"name": "nginx", "enabled": enabled});
    check(
        plan_text("openrc", nginx(true), openrc(0, "", true, false, false), false),
        expect![[r#"
            observed: running, disabled
            action: Update
            change enabled: false -> true
            exec rc-update add nginx default"#]],
    );
    // A boot service runs in every runlevel: enabled.
    check(
        plan_text("openrc", nginx(true), openrc(0, "", true, false, true), false),
        expect![[r#"
            observed: running, enabled
            action: None"#]],
    );
    // Disabled means out of every runlevel it is in.
    check(
        plan_text("openrc", nginx(false), openrc(0, "", true, true, true), false),
        expect![[r#"
            observed: running, enabled
            action: Update
            change enabled: true -> false
            exec rc-update del nginx default
            exec rc-update del nginx boot"#]],
    );
}

#[test]
fn openrc_notified_restarts() {
    check(
        plan_text("openrc", json!({"name": "nginx"}), openrc(0, "", true, true, false), true),
        expect![[r#"
            observed: running, enabled
            action: Refresh
            exec rc-service nginx restart"#]],
    );
    // Crashed and notified: reset, started, and restarted as any notified
    // service that did not run when planned.
    let text =
        plan_text("openrc", json!({"name": "nginx"}), openrc(32, "", true, true, false), true);
    assert!(
        text.contains(
            "exec rc-service nginx zap\nexec rc-service nginx start\nexec rc-service nginx restart\nnote"
        ),
        "{text}"
    );
}
