//! The command line, declared with clap's derive API.
//!
//! Only shapes of arguments live here; what they mean is in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A language-first Infrastructure-as-Code toolchain: CUE and Starlark in, typed resources out.
#[derive(Debug, Parser)]
#[command(name = "froyo", version, propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    /// When to colour output: `auto` (a terminal, unless `NO_COLOR` is set), `always` or `never`.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorWhen::Auto,
        global = true,
        hide_possible_values = true
    )]
    pub color: ColorWhen,

    /// Write logs to standard error as text for people (`human`) or one JSON object per line (`json`); logging is off unless this, `--log-level` or `FROYO_LOG` is given (`drift --watch` and `worker` log at `info`).
    #[arg(long, value_enum, global = true, value_name = "FORMAT", hide_possible_values = true)]
    pub log_format: Option<LogFormat>,

    /// The least severe log events written: `error`, `warn`, `info`, `debug`, `trace` or `off` (default: `FROYO_LOG`, a level or `tracing` filter directives).
    #[arg(long, value_enum, global = true, value_name = "LEVEL", hide_possible_values = true)]
    pub log_level: Option<LogLevel>,

    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Human,
    /// One JSON object per event and line, with its spans.
    Json,
}

/// The least severe log events written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new workspace (a local host and one resource) in DIR or the current directory.
    Init(InitArgs),
    /// Check a workspace: syntax, evaluation, schemas, dependencies and hosts; exit 1 on errors.
    Check(CheckArgs),
    /// Compile a workspace into the resource IR (`site.ir`).
    Build(BuildArgs),
    /// Format CUE sources in the canonical `cue fmt` style.
    Fmt(FmtArgs),
    /// Evaluate a CUE package and print it as JSON or YAML, like `cue export`.
    Export(ExportArgs),
    /// Evaluate a CUE package and print the result as CUE, like `cue eval`.
    Eval(EvalArgs),
    /// Show what `apply` would change on the hosts, without changing anything.
    Plan(PlanArgs),
    /// Apply the configuration (or a saved plan) to the hosts.
    Apply(ApplyArgs),
    /// Re-probe the hosts and report differences from the recorded state; exit 2 on drift.
    Drift(DriftArgs),
    /// Apply hosts of runs started with `froyo apply --workers`, from a PostgreSQL state, until stopped.
    Worker(WorkerArgs),
    /// Draw the dependency graph of the workspace's resource instances.
    Graph(GraphArgs),
    /// Inspect the recorded state and its lock.
    State(StateArgs),
    /// Test, list and inspect policies (built-in and `policies/*.rego`).
    Policy(PolicyCommandArgs),
    /// List past runs and show their events.
    Runs(RunsArgs),
    /// Print a shell completion script to stdout.
    Completions(CompletionsArgs),
    /// Run the language server on standard input and output, for editors.
    Lsp(LspArgs),
    /// Write the manual pages (one per command) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

/// Options shared by the commands that reach hosts.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// How many operations a host runs at once, and provider calls in flight.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,

    /// How many hosts are worked on at once (SSH work waits on the network, so hundreds are fine).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub forks: u16,

    /// Trust and record the keys of SSH hosts seen for the first time (in the workspace's `known_hosts`), as OpenSSH's `StrictHostKeyChecking=accept-new` does; a changed key is still refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,

    /// The state: a SQLite file (default: `.froyo/state.db` in the workspace), or a PostgreSQL database a team shares, `postgres://[USER@]HOST[:PORT]/DB?workspace=ID` (password from PGPASSWORD or ~/.pgpass; see docs/state.md).
    #[arg(long, value_name = "FILE|URL", env = "FROYO_STATE")]
    pub state: Option<String>,
}

/// Overrides of denying policies, for the commands that run policies.
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyArgs {
    /// Allow the findings of this denying policy for this run (repeatable); needs `--reason`. `froyo apply` records it in the audit log with the user and the reason.
    #[arg(long = "allow-policy", value_name = "NAME", requires = "reason")]
    pub allow_policy: Vec<String>,

    /// Why the policies named by `--allow-policy` are allowed (recorded in the audit log).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

impl PolicyArgs {
    pub fn allowances(&self) -> Vec<froyo_policy::diagnostics::Allowance> {
        let reason = self.reason.clone().unwrap_or_default();
        self.allow_policy
            .iter()
            .map(|name| froyo_policy::diagnostics::Allowance {
                name: name.clone(),
                reason: reason.clone(),
            })
            .collect()
    }
}

#[derive(Debug, Args)]
pub struct PolicyCommandArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run every `test_*` rule of the workspace's and the built-in policies, like `opa test`; exit 1 when one fails.
    Test(PolicyTestArgs),
    /// Print the input document policies see: the IR's (check time), or a saved plan's (`--plan FILE`).
    Eval(PolicyEvalArgs),
    /// List the policies with their code, level and stage.
    List(PolicyListArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,

    /// Run only the tests whose name contains this text.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub run: String,

    /// Leave the built-in policies' tests out.
    #[arg(long)]
    pub no_builtin: bool,

    /// How to print the results: text for people, or one JSON document.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct PolicyEvalArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,

    /// Print the plan-time input of this saved plan (`froyo plan -o FILE`) instead of the check-time input.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,

    /// With `--plan`: the input as `--allow-destroy` would make it.
    #[arg(long)]
    pub allow_destroy: bool,

    /// Also evaluate this policy on the input and print its findings after the input.
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,

    /// The state that authenticates the saved plan: a SQLite file (default: `.froyo/state.db` in the workspace) or `postgres://…?workspace=ID` (see docs/state.md).
    #[arg(long, value_name = "FILE|URL", env = "FROYO_STATE")]
    pub state: Option<String>,
}

#[derive(Debug, Args)]
pub struct PolicyListArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,
}

/// How plans and reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for people.
    Human,
    /// One JSON document on stdout (sensitive values redacted).
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,

    /// Save the plan to this file, for `froyo apply FILE` (written with mode 0600: it holds the values to apply).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show the exact operations each change runs.
    #[arg(long)]
    pub show_ops: bool,

    /// How to print the report: text for people, or one JSON document.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Allow changes that delete something (`state: "absent"` of a file, package, user, …); without it the built-in policy `destroy-without-allow` denies them.
    #[arg(long)]
    pub allow_destroy: bool,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan file saved by `froyo plan -o`, or the workspace (default: the one containing the current directory).
    pub target: Option<PathBuf>,

    /// Apply without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Show the exact operations each change runs.
    #[arg(long)]
    pub show_ops: bool,

    /// How to print the report: text for people, or one JSON document.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Allow changes that delete something (`state: "absent"` of a file, package, user, …); without it the built-in policy `destroy-without-allow` denies them.
    #[arg(long)]
    pub allow_destroy: bool,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Write the run's Prometheus metrics to this file when it ends (OpenMetrics text, replaced atomically: for node_exporter's textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,

    /// Plan and confirm here, then let `froyo worker` processes (on any machine, with the same `--state`) apply the hosts, and wait for them; needs a PostgreSQL state (see docs/state.md).
    #[arg(long)]
    pub workers: bool,

    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The workspace whose runs this worker applies (default: the one containing the current directory): its `known_hosts` is used to check host keys.
    pub workspace: Option<PathBuf>,

    /// The worker's name in leases and progress (default: HOST:PID).
    #[arg(long)]
    pub name: Option<String>,

    /// How long a lease holds past its last renewal (renewed every third of it): a worker lost for longer has its hosts leased again by another (`30s`, `2m`).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub lease: std::time::Duration,

    /// Stop once no work has come for this long (default: wait for work until SIGTERM or SIGINT).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub exit_when_idle: Option<std::time::Duration>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,

    /// How to print the report: text for people, or one JSON document.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,

    /// Keep running: check again every `--interval` until SIGTERM or SIGINT, recording each check as a run and logging drift.
    #[arg(long)]
    pub watch: bool,

    /// How long to wait between checks with `--watch` (`30s`, `5m`, `1h30m`; each wait is jittered by up to 10%).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, requires = "watch")]
    pub interval: std::time::Duration,

    /// Serve Prometheus metrics on this address (`127.0.0.1:9464`) at `/metrics` while watching.
    #[arg(long, value_name = "ADDR", requires = "watch")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Write Prometheus metrics to this file after each check (OpenMetrics text, replaced atomically: for node_exporter's textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,

    /// Apply the recorded desired state to drifted instances (only those, and only when the configuration did not change since it was applied), under the lock.
    #[arg(long)]
    pub remediate: bool,

    /// Remediate only instances of these resource types (`linux.file`); implies `--remediate`.
    #[arg(long, value_name = "TYPE", num_args = 1..)]
    pub remediate_only: Vec<String>,

    /// With `--remediate`: let remediation delete what drifted back into existence (`state: "absent"`); without it the built-in policy `destroy-without-allow` refuses, as for `froyo apply`.
    #[arg(long)]
    pub allow_destroy: bool,

    /// With `--remediate`: overrides of denying policies, as for `froyo apply`.
    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `1d` and sums such as `1h30m`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let wrong = || {
        format!(
            "`{text}` is not a duration: write a number and a unit, such as `30s`, `5m` or `1h30m`"
        )
    };
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds));
    }
    let mut total = std::time::Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(wrong());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(wrong());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| wrong())?;
        rest = &rest[digits..];
        let unit_length = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_length];
        rest = &rest[unit_length..];
        let millis: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(wrong()),
        };
        let part = number.checked_mul(millis).ok_or_else(wrong)?;
        total = total.checked_add(std::time::Duration::from_millis(part)).ok_or_else(wrong)?;
    }
    if total.is_zero() {
        return Err(format!("`{text}`: the interval must be longer than zero"));
    }
    Ok(total)
}

/// What `froyo graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz's DOT language.
    Dot,
    /// An SVG picture, drawn by Graphviz's `dot` (which must be installed).
    Svg,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The workspace (default: the one containing the current directory).
    pub paths: Vec<PathBuf>,

    /// What to draw: Graphviz's DOT text, or an SVG picture.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,

    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,

    /// The state: a SQLite file (default: `.froyo/state.db` in the workspace), or a PostgreSQL database a team shares, `postgres://[USER@]HOST[:PORT]/DB?workspace=ID` (password from PGPASSWORD or ~/.pgpass; see docs/state.md).
    #[arg(long, value_name = "FILE|URL", env = "FROYO_STATE", global = true)]
    pub state: Option<String>,

    /// How to print: text for people, or JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, global = true)]
    pub format: ReportFormat,
}

/// The workspace a `state` or `runs` subcommand reads the state of.
#[derive(Debug, Args)]
pub struct WorkspacePath {
    /// The workspace (default: the one containing the current directory).
    #[arg(value_name = "PATH")]
    pub workspace: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the recorded resource instances.
    List {
        #[command(flatten)]
        at: WorkspacePath,
    },
    /// Show recorded instances: `TYPE.ID` or `ID` as plan prints them, `…@HOST` for one host (or `HOST/ID`).
    Show {
        instance: String,
        #[command(flatten)]
        at: WorkspacePath,
    },
    /// Show who holds the apply lock, and whether the holder is alive.
    Lock {
        #[command(flatten)]
        at: WorkspacePath,
    },
    /// Break the apply lock of a run that is gone (recorded in the audit log).
    Unlock {
        /// Also break the lock of a run that is still alive: it stops before
        /// its next write to state.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        at: WorkspacePath,
    },
    /// Show the audit log.
    Audit {
        /// How many entries to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        at: WorkspacePath,
    },
}

impl StateCommand {
    /// The workspace the command names, if any.
    pub fn workspace(&self) -> Option<&std::path::Path> {
        match self {
            StateCommand::List { at }
            | StateCommand::Show { at, .. }
            | StateCommand::Lock { at }
            | StateCommand::Unlock { at, .. }
            | StateCommand::Audit { at, .. } => at.workspace.as_deref(),
        }
    }
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub command: RunsCommand,

    /// The state: a SQLite file (default: `.froyo/state.db` in the workspace), or a PostgreSQL database a team shares, `postgres://[USER@]HOST[:PORT]/DB?workspace=ID` (password from PGPASSWORD or ~/.pgpass; see docs/state.md).
    #[arg(long, value_name = "FILE|URL", env = "FROYO_STATE", global = true)]
    pub state: Option<String>,

    /// How to print: text for people, or JSON.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, global = true)]
    pub format: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List recent runs, newest first.
    List {
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        at: WorkspacePath,
    },
    /// Show one run and its events.
    Show {
        run: u64,
        #[command(flatten)]
        at: WorkspacePath,
    },
}

impl RunsCommand {
    /// The workspace the command names, if any.
    pub fn workspace(&self) -> Option<&std::path::Path> {
        match self {
            RunsCommand::List { at, .. } | RunsCommand::Show { at, .. } => at.workspace.as_deref(),
        }
    }
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace (default: the current directory); created if missing.
    #[arg(value_name = "DIR")]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the workspace containing the current directory).
    pub paths: Vec<PathBuf>,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with labels, for people.
    Human,
    /// One JSON object per line (see docs/json-diagnostics.md).
    Json,
    /// One SARIF 2.1.0 log, for code-scanning tools.
    Sarif,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The workspace to build (default: the workspace containing the current directory).
    pub paths: Vec<PathBuf>,

    /// Where to write the IR (default: `site.ir` in the workspace); `-` writes it to standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories to format (default: the workspace containing the current
    /// directory); `-` formats standard input to standard output.
    pub paths: Vec<PathBuf>,

    /// Write nothing; list files that would change and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,

    /// Write nothing; print a unified diff of each change and exit 1 if there are any.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Files to evaluate together, or directories whose package to evaluate
    /// (default: the package at the root of the workspace). Data files
    /// (`.json`, `.jsonl`/`.ndjson`, `.yaml`/`.yml`, `.toml`) are unified with
    /// the CUE; one holding several values (JSON Lines, YAML documents) is
    /// exported once per value.
    pub paths: Vec<PathBuf>,

    /// The output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub out: ExportFormat,

    /// Export the value of this expression, evaluated in the package's scope,
    /// instead of the whole package.
    #[arg(short = 'e', long = "expression", value_name = "EXPR")]
    pub expression: Option<String>,

    /// How to print diagnostics (always to standard error).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// The data format of `froyo export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// JSON, indented by four spaces, as `cue export --out json` prints it.
    Json,
    /// YAML, as `cue export --out yaml` prints it.
    Yaml,
    /// JSON without whitespace, on one line, as `cue export --out json+compact` prints it.
    #[value(name = "json+compact")]
    JsonCompact,
    /// JSON Lines: the value as JSON on one line.
    Jsonl,
    /// CUE text of the data, as `cue export --out cue` prints it.
    Cue,
    /// TOML; the value must be a struct, without nulls.
    Toml,
    /// A string value as raw text, with a final newline (select it with `-e`), as `cue export --out text`.
    Text,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Files to evaluate together, or directories whose package to evaluate
    /// (default: the package at the root of the workspace).
    pub paths: Vec<PathBuf>,

    /// Print the value of this expression, evaluated in the package's scope,
    /// instead of the whole package.
    #[arg(short = 'e', long = "expression", value_name = "EXPR")]
    pub expression: Option<String>,

    /// How to print diagnostics (always to standard error).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; the server always speaks LSP on standard input and output.
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write `froyo.1` and one page per subcommand into (created if missing),
    /// such as `~/.local/share/man/man1`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations_have_units_and_add_up() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        for wrong in ["", "m", "5x", "1.5m", "-5s", "5m30", "99999999999999999999h"] {
            assert!(parse_duration(wrong).is_err(), "{wrong}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("longer than zero"));
    }
}
