//! The engine over a test transport: several "hosts", each a real local
//! runner in a directory of its own, that the test can make unreachable or
//! lose in the middle of a run. Checks waves across hosts, failure
//! isolation (a failing host fails only its own instances and what waits on
//! them), skips, handlers, the once-per-host error report, and that the
//! next run converges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use froyo_engine::{
    Engine, HostError, HostSteps, Key, Options, Outcome, Phase, Reporter, RunnerSession, Transport,
};
use froyo_ir::{Host, Ir, Language, Origin, Resource, Value};
use froyo_providers::{Host as Providers, HostOptions};
use froyo_runner_client::protocol::{ApplyItem, ItemOutcome, ProbeItem};
use froyo_runner_client::{Hello, Session};
use froyo_state::State;

/// What the test transport does with each host.
#[derive(Default)]
struct Behaviour {
    /// Hosts that cannot be reached.
    unreachable: BTreeSet<String>,
    /// Hosts whose session breaks at their first batch of operations.
    lost_at_apply: BTreeSet<String>,
}

struct TestTransport {
    behaviour: Mutex<Behaviour>,
    connects: Mutex<BTreeMap<String, usize>>,
}

impl Transport for TestTransport {
    fn connect(
        &self,
        host: &Host,
        _inventory: &[Host],
    ) -> Result<Box<dyn RunnerSession>, HostError> {
        *self.connects.lock().unwrap().entry(host.name.clone()).or_default() += 1;
        let behaviour = self.behaviour.lock().unwrap();
        if behaviour.unreachable.contains(&host.name) {
            return Err(HostError {
                host: host.name.clone(),
                code: "E1101".to_string(),
                message: "cannot connect: connection refused".to_string(),
                help: "start the host".to_string(),
            });
        }
        let session = Session::start_local()
            .map_err(|error| HostError::runner(&host.name, error.to_string()))?;
        Ok(Box::new(Faulty {
            session,
            lose_at_apply: behaviour.lost_at_apply.contains(&host.name),
            broken: false,
        }))
    }
}

/// A real runner session that can break as a lost host's does.
struct Faulty {
    session: Session,
    lose_at_apply: bool,
    broken: bool,
}

impl RunnerSession for Faulty {
    fn hello(&self) -> &Hello {
        self.session.hello()
    }

    fn probe(&mut self, items: Vec<ProbeItem>) -> Result<Vec<(u64, ItemOutcome)>, String> {
        if self.broken {
            return Err("the connection was lost".to_string());
        }
        self.session.probe(items).map_err(|error| error.to_string())
    }

    fn apply(
        &mut self,
        parallelism: u32,
        items: Vec<ApplyItem>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, String> {
        if self.lose_at_apply || self.broken {
            self.broken = true;
            return Err("the connection was lost (sshd killed)".to_string());
        }
        self.session.apply(parallelism, items, on_item).map_err(|error| error.to_string())
    }

    fn round_trips(&self) -> u64 {
        self.session.round_trips()
    }

    fn close(self: Box<Self>) {
        let _ = self.session.close();
    }
}

fn origin() -> Origin {
    Origin { file: "site.cue".into(), start: 0, end: 0, language: Language::Cue }
}

fn host(name: &str) -> Host {
    Host {
        name: name.to_string(),
        transport: froyo_ir::Transport::Ssh,
        address: Some(format!("{name}.test")),
        port: None,
        user: None,
        identity_file: None,
        become_root: false,
        become_password: None,
        labels: [("name".to_string(), name.to_string())].into_iter().collect(),
        vars: BTreeMap::new(),
        jump_host: None,
        origin: origin(),
    }
}

fn resource(id: &str, type_name: &str, on: &str, properties: &[(&str, Value)]) -> Resource {
    Resource {
        id: id.to_string(),
        type_name: type_name.to_string(),
        on: [("name".to_string(), on.to_string())].into_iter().collect(),
        properties: properties.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        require: Vec::new(),
        notify: Vec::new(),
        sensitive: Vec::new(),
        origin: origin(),
    }
}

fn string(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

fn file(id: &str, on: &str, path: &Path, content: &str) -> Resource {
    resource(
        id,
        "linux.file",
        on,
        &[
            ("path", string(path.display().to_string())),
            ("state", string("present")),
            ("content", string(content)),
            ("mode", string("0644")),
        ],
    )
}

fn exec(id: &str, on: &str, command: &str, refresh_only: bool) -> Resource {
    resource(
        id,
        "linux.exec",
        on,
        &[
            ("command", string(command)),
            ("env", Value::Map(BTreeMap::new())),
            ("refresh_only", Value::Bool(refresh_only)),
            ("timeout", Value::Int(300)),
        ],
    )
}

/// Records the apply phase's announced steps per host and every step reported.
#[derive(Default)]
struct Recorder {
    announced: Mutex<BTreeMap<String, usize>>,
    steps: Mutex<Vec<String>>,
}

impl Reporter for Recorder {
    fn hosts(&self, phase: Phase, steps: &BTreeMap<String, HostSteps>) {
        if phase == Phase::Apply {
            *self.announced.lock().unwrap() =
                steps.iter().map(|(host, steps)| (host.clone(), steps.total())).collect();
        }
    }

    fn step(&self, phase: Phase, key: &Key, _address: &str, message: &str, _failed: bool) {
        if phase == Phase::Apply {
            let outcome = message.split(':').next().unwrap_or(message);
            self.steps.lock().unwrap().push(format!("{}@{}: {outcome}", key.resource, key.host));
        }
    }
}

impl Recorder {
    /// The last apply's steps, sorted, and empties the record.
    fn take(&self) -> String {
        let mut steps = std::mem::take(&mut *self.steps.lock().unwrap());
        steps.sort();
        steps.iter().map(|step| format!("{step}\n")).collect()
    }
}

struct Fixture {
    directory: tempfile::TempDir,
    transport: Arc<TestTransport>,
    state: State,
    recorder: Arc<Recorder>,
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::tempdir().unwrap();
        let state = State::open(&directory.path().join("state.db")).unwrap();
        let transport = Arc::new(TestTransport {
            behaviour: Mutex::new(Behaviour::default()),
            connects: Mutex::new(BTreeMap::new()),
        });
        Fixture { directory, transport, state, recorder: Arc::new(Recorder::default()) }
    }

    fn root(&self, host: &str) -> PathBuf {
        let root = self.directory.path().join(host);
        std::fs::create_dir_all(&root).unwrap();
        root
    }

    fn engine(&self) -> Engine {
        let providers = Providers::with_builtins(
            HostOptions {
                cache_dir: Some(self.directory.path().join("cache")),
                ..HostOptions::default()
            },
            |name| matches!(name, "linux.file" | "linux.exec"),
        )
        .unwrap();
        Engine::new(
            Arc::new(providers),
            Options {
                workspace_root: self.directory.path().to_path_buf(),
                parallelism: 4,
                forks: 2,
                reporter: self.recorder.clone(),
                transport: self.transport.clone(),
                scheduler: None,
            },
        )
        .unwrap()
    }

    /// Plans and applies `ir`; the outcomes by `resource@host`, and the host errors.
    fn apply(&self, ir: &Ir) -> (BTreeMap<String, Outcome>, Vec<HostError>) {
        let mut engine = self.engine();
        let plan = engine.plan(ir, &self.state).unwrap();
        let report = engine.apply(&plan, &self.state, false).unwrap();
        engine.close();
        let outcomes = report
            .instances
            .iter()
            .map(|instance| {
                (
                    format!("{}@{}", instance.key.resource, instance.key.host),
                    instance.outcome.clone(),
                )
            })
            .collect();
        (outcomes, report.host_errors)
    }
}

fn statuses(outcomes: &BTreeMap<String, Outcome>) -> String {
    outcomes.iter().map(|(key, outcome)| format!("{key}: {}\n", outcome.status())).collect()
}

#[test]
fn an_unreachable_host_fails_only_its_own_instances_and_what_waits_on_them() {
    let fixture = Fixture::new();
    let (a, b, c) = (fixture.root("a"), fixture.root("b"), fixture.root("c"));
    let mut on_c = file("config", "c", &c.join("config"), "c\n");
    on_c.require = vec!["base".to_string()];
    let mut cross = file("cross", "a", &a.join("cross"), "after b\n");
    cross.require = vec!["from-b".to_string()];
    let ir = Ir::new(
        vec![host("a"), host("b"), host("c")],
        vec![
            file("base", "a", &a.join("base"), "a\n"),
            file("from-b", "b", &b.join("file"), "b\n"),
            cross,
            on_c,
        ],
    );
    fixture.transport.behaviour.lock().unwrap().unreachable.insert("b".to_string());
    let (outcomes, errors) = fixture.apply(&ir);
    assert_eq!(
        statuses(&outcomes),
        "base@a: applied\nconfig@c: applied\ncross@a: skipped\nfrom-b@b: failed\n"
    );
    // The full error once, by host; instances carry the short form.
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].host.as_str(), errors[0].code.as_str()), ("b", "E1101"));
    let Outcome::Failed { message } = &outcomes["from-b@b"] else { unreachable!() };
    assert_eq!(message, "host `b` could not be worked on (E1101)");
    assert!(a.join("base").exists() && c.join("config").exists() && !a.join("cross").exists());

    // The host comes back: the next apply converges, touching only what is left.
    fixture.transport.behaviour.lock().unwrap().unreachable.clear();
    let (outcomes, errors) = fixture.apply(&ir);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        statuses(&outcomes),
        "base@a: unchanged\nconfig@c: unchanged\ncross@a: applied\nfrom-b@b: applied\n"
    );
    // One connection per host and run.
    assert_eq!(fixture.transport.connects.lock().unwrap()["a"], 2);
}

#[test]
fn a_host_lost_during_apply_fails_its_instances_and_the_others_finish() {
    let fixture = Fixture::new();
    let (a, b) = (fixture.root("a"), fixture.root("b"));
    let ir = Ir::new(
        vec![host("a"), host("b")],
        vec![
            file("one", "a", &a.join("one"), "1\n"),
            file("two", "b", &b.join("two"), "2\n"),
            file("three", "b", &b.join("three"), "3\n"),
        ],
    );
    fixture.transport.behaviour.lock().unwrap().lost_at_apply.insert("b".to_string());
    let (outcomes, errors) = fixture.apply(&ir);
    assert_eq!(statuses(&outcomes), "one@a: applied\nthree@b: failed\ntwo@b: failed\n");
    // Progress hears of every change once, the lost host's too.
    assert_eq!(
        *fixture.recorder.announced.lock().unwrap(),
        BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)])
    );
    assert_eq!(fixture.recorder.take(), "one@a: applied\nthree@b: failed\ntwo@b: failed\n");
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].host.as_str(), errors[0].code.as_str()), ("b", "E1109"));
    assert!(errors[0].message.contains("sshd killed"), "{}", errors[0].message);
    // State records exactly what happened: only `one` is known.
    let recorded: Vec<String> = fixture
        .state
        .instances()
        .unwrap()
        .into_iter()
        .map(|record| format!("{}@{}", record.key.resource, record.key.host))
        .collect();
    assert_eq!(recorded, ["one@a"]);

    fixture.transport.behaviour.lock().unwrap().lost_at_apply.clear();
    let (outcomes, errors) = fixture.apply(&ir);
    assert!(errors.is_empty());
    assert_eq!(statuses(&outcomes), "one@a: unchanged\nthree@b: applied\ntwo@b: applied\n");
}

#[test]
fn handlers_run_once_after_every_notifier_and_are_skipped_when_one_fails() {
    let fixture = Fixture::new();
    let a = fixture.root("a");
    let log = a.join("handler.log");
    let mut first = file("first", "a", &a.join("first"), "1\n");
    first.notify = vec!["handler".to_string()];
    let mut second = file("second", "a", &a.join("second"), "2\n");
    second.notify = vec!["handler".to_string()];
    let handler = exec("handler", "a", &format!("echo ran >> {}", log.display()), true);
    let ir = Ir::new(vec![host("a")], vec![first, second.clone(), handler.clone()]);
    let (outcomes, _) = fixture.apply(&ir);
    assert_eq!(statuses(&outcomes), "first@a: applied\nhandler@a: applied\nsecond@a: applied\n");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\n");

    // Nothing changed: the handler is not notified.
    let (outcomes, _) = fixture.apply(&ir);
    assert_eq!(
        statuses(&outcomes),
        "first@a: unchanged\nhandler@a: unchanged\nsecond@a: unchanged\n"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\n");

    // A notifier that fails (its parent is a file) skips the handler.
    let mut broken = file("second", "a", &a.join("first/inside"), "2\n");
    broken.notify = vec!["handler".to_string()];
    let mut changed = file("first", "a", &a.join("first"), "one\n");
    changed.notify = vec!["handler".to_string()];
    let ir = Ir::new(vec![host("a")], vec![changed, broken, handler]);
    let (outcomes, _) = fixture.apply(&ir);
    assert_eq!(outcomes["second@a"].status(), "failed", "{outcomes:#?}");
    assert_eq!(outcomes["handler@a"].status(), "skipped", "{outcomes:#?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\n");
}
