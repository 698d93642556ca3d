//! A real PostgreSQL server for tests: Debian's `postgresql` binaries, a
//! cluster initialised in a temporary directory, listening on a Unix socket
//! there and on a loopback port, and stopped when its owner is dropped, or
//! by a watchdog when the test process dies without dropping it.
//!
//! `initdb` runs once per machine and PostgreSQL version: its data directory
//! is kept under `~/.cache/froyo/postgres/` and copied for each cluster.
//! Run as root, the server runs as Debian's `postgres` user (PostgreSQL
//! refuses to run as root).
//!
//! Authentication: trust on the Unix socket, SCRAM passwords over TCP, so
//! tests can exercise both. Include with
//! `#[path = "…/tests/support/postgres.rs"] mod postgres_cluster;`.
//!
//! Where PostgreSQL is not installed, [`Cluster::start`] returns why and
//! tests print `skipped: …`; with `FROYO_REQUIRE_POSTGRES=1` (set by
//! `scripts/test`, which installs it) they panic instead.

#![allow(dead_code)] // Each test binary uses its own part of the helper.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The superuser of test clusters (trusted on the Unix socket).
pub const ADMIN: &str = "froyo_admin";

/// A running test cluster.
pub struct Cluster {
    base: PathBuf,
    /// With TLS: the CA certificate (PEM) the server's certificate is signed by.
    ca: Option<PathBuf>,
    bin: PathBuf,
    socket: PathBuf,
    port: u16,
    server: Child,
    watchdog: Option<Child>,
}

impl Cluster {
    /// A new cluster, or the test skipped: panics with
    /// `FROYO_REQUIRE_POSTGRES=1` when PostgreSQL cannot run here.
    pub fn start_or_skip() -> Option<Cluster> {
        match Cluster::start() {
            Ok(cluster) => Some(cluster),
            Err(reason) => {
                if std::env::var_os("FROYO_REQUIRE_POSTGRES").is_some_and(|value| value == "1") {
                    panic!("FROYO_REQUIRE_POSTGRES=1, but PostgreSQL cannot run here: {reason}");
                }
                eprintln!("skipped: {reason}");
                None
            }
        }
    }

    /// As [`Cluster::start_or_skip`], with TLS on TCP (a certificate for
    /// 127.0.0.1 signed by a CA made for the cluster; see [`Cluster::ca`]) and
    /// only TLS connections accepted over TCP.
    pub fn start_with_tls_or_skip() -> Option<Cluster> {
        match Cluster::start_with(true) {
            Ok(cluster) => Some(cluster),
            Err(reason) => {
                if std::env::var_os("FROYO_REQUIRE_POSTGRES").is_some_and(|value| value == "1") {
                    panic!("FROYO_REQUIRE_POSTGRES=1, but PostgreSQL cannot run here: {reason}");
                }
                eprintln!("skipped: {reason}");
                None
            }
        }
    }

    /// Initialises (from the cached template) and starts a cluster.
    pub fn start() -> Result<Cluster, String> {
        Cluster::start_with(false)
    }

    fn start_with(tls: bool) -> Result<Cluster, String> {
        let bin = binaries()?;
        let owner = server_user()?;
        let template = template(&bin, owner.as_ref())?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir().join(format!(
            "froyo-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).map_err(|error| format!("{}: {error}", base.display()))?;
        let data = base.join("data");
        let socket = base.join("socket");
        run(Command::new("cp").arg("-a").arg(&template).arg(&data))?;
        std::fs::create_dir_all(&socket).map_err(|error| error.to_string())?;
        let tcp = if tls { "hostssl" } else { "host" };
        std::fs::write(
            data.join("pg_hba.conf"),
            format!("local all all trust\n{tcp} all all 127.0.0.1/32 scram-sha-256\n"),
        )
        .map_err(|error| error.to_string())?;
        let ca = if tls { Some(certificates(&base)?) } else { None };
        if let Some((user, _, _)) = &owner {
            run(Command::new("chown").arg("-R").arg(format!("{user}:")).arg(&base))?;
        }
        let port = free_port()?;
        let log = std::fs::File::create(base.join("server.log")).map_err(|e| e.to_string())?;
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&socket)
            .arg("-p")
            .arg(port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .args(["-c", "shared_buffers=32MB"]);
        if tls {
            command
                .args(["-c", "ssl=on"])
                .arg("-c")
                .arg(format!("ssl_cert_file={}", base.join("server.pem").display()))
                .arg("-c")
                .arg(format!("ssl_key_file={}", base.join("server.key").display()));
        } else {
            command.args(["-c", "ssl=off"]);
        }
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        as_user(&mut command, owner.as_ref());
        let server = command.spawn().map_err(|error| format!("start postgres: {error}"))?;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(
                "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \
                 kill -QUIT \"$2\" 2>/dev/null; sleep 3; kill -KILL \"$2\" 2>/dev/null; \
                 rm -rf \"$3\"",
            )
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(server.id().to_string())
            .arg(&base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        let cluster = Cluster { base, ca, bin, socket, port, server, watchdog };
        cluster.wait_ready()?;
        Ok(cluster)
    }

    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .arg("-q")
                .arg("-h")
                .arg(&self.socket)
                .arg("-p")
                .arg(self.port.to_string())
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.base.join("server.log")).unwrap_or_default();
                return Err(format!("PostgreSQL did not become ready in 60 s:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The directory of the Unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The CA certificate of a cluster started with TLS.
    pub fn ca(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// The loopback TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs SQL as the superuser in `database`; its output (unaligned, tuples only).
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .arg("-X")
            .arg("-v")
            .arg("ON_ERROR_STOP=1")
            .arg("-At")
            .arg("-h")
            .arg(&self.socket)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-U")
            .arg(ADMIN)
            .arg("-d")
            .arg(database)
            .arg("-c")
            .arg(sql)
            .output()
            .expect("run psql");
        assert!(output.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// A new, empty database; its name.
    pub fn database(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name =
            format!("froyo_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        name
    }

    /// A state URL for `workspace` in `database`, as the superuser over the
    /// Unix socket (trusted: no password).
    pub fn url(&self, database: &str, workspace: &str) -> String {
        let socket = self.socket.display().to_string().replace('/', "%2F");
        format!("postgres://{ADMIN}@{socket}:{}/{database}?workspace={workspace}", self.port)
    }

    /// A state URL over TCP on loopback as `user` (who needs a password).
    pub fn tcp_url(&self, user: &str, database: &str, workspace: &str) -> String {
        format!(
            "postgres://{user}@127.0.0.1:{}/{database}?workspace={workspace}&sslmode=disable",
            self.port
        )
    }

    /// The server process id (for tests that kill or stop it).
    pub fn server_pid(&self) -> u32 {
        self.server.id()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown; nothing of a test cluster needs keeping.
        let _ = Command::new("kill").arg("-QUIT").arg(self.server.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The newest installed server's `bin` directory.
fn binaries() -> Result<PathBuf, String> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "PostgreSQL is not installed (no /usr/lib/postgresql; install the postgresql package)"
                .to_string()
        })?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "PostgreSQL's server is not installed (install the postgresql package)".to_string()
    })
}

/// As root: the `postgres` user (name, uid, gid) the server runs as.
fn server_user() -> Result<Option<(String, u32, u32)>, String> {
    let uid = Command::new("id").arg("-u").output().map_err(|error| error.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(None);
    }
    let number = |flag: &str| -> Result<u32, String> {
        let output =
            Command::new("id").arg(flag).arg("postgres").output().map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&output.stdout).trim().parse().map_err(|_| {
            "running as root, and there is no `postgres` user to run the server as".to_string()
        })
    };
    Ok(Some(("postgres".to_string(), number("-u")?, number("-g")?)))
}

fn as_user(command: &mut Command, owner: Option<&(String, u32, u32)>) {
    if let Some((_, uid, gid)) = owner {
        use std::os::unix::process::CommandExt as _;
        // With a uid set, std also drops root's supplementary groups.
        command.uid(*uid).gid(*gid);
    }
}

/// The cached `initdb` result for this version, made on first use.
fn template(bin: &Path, owner: Option<&(String, u32, u32)>) -> Result<PathBuf, String> {
    let version = bin
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let cache = home.join(".cache/froyo/postgres");
    let template = cache.join(format!("{version}-template-v1"));
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    // Tests of one binary start clusters at once: one of them makes the
    // template, the others wait for it and copy it.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    static ATTEMPT: AtomicU64 = AtomicU64::new(0);
    let unique = format!("{}-{}", std::process::id(), ATTEMPT.fetch_add(1, Ordering::Relaxed));
    std::fs::create_dir_all(&cache).map_err(|error| format!("{}: {error}", cache.display()))?;
    // initdb runs as the server's user, which cannot write under root's
    // home: it writes in a temporary directory, copied into the cache.
    let building = std::env::temp_dir().join(format!("froyo-pg-initdb-{unique}"));
    let _ = std::fs::remove_dir_all(&building);
    std::fs::create_dir_all(&building).map_err(|error| error.to_string())?;
    if let Some((user, _, _)) = owner {
        run(Command::new("chown").arg(format!("{user}:")).arg(&building))?;
    }
    let data = building.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", ADMIN, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        .current_dir(&building);
    as_user(&mut initdb, owner);
    run(&mut initdb)?;
    let aside = cache.join(format!(".{version}-template-{unique}"));
    let _ = std::fs::remove_dir_all(&aside);
    run(Command::new("cp").arg("-a").arg(&data).arg(&aside))?;
    let _ = std::fs::remove_dir_all(&building);
    // Another test process may have made it meanwhile: either copy will do.
    if std::fs::rename(&aside, &template).is_err() {
        let _ = std::fs::remove_dir_all(&aside);
    }
    if template.join("PG_VERSION").is_file() {
        Ok(template)
    } else {
        Err(format!("initdb did not leave a cluster in {}", template.display()))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|error| error.to_string())?;
    listener.local_addr().map(|address| address.port()).map_err(|error| error.to_string())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|error| format!("{command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A CA and a server certificate for 127.0.0.1 it signs, made with
/// `openssl` in `base` (`ca.pem`, `server.pem`, `server.key`); the CA's path.
fn certificates(base: &Path) -> Result<PathBuf, String> {
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(base));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=froyo test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ])?;
    std::fs::write(
        base.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    )
    .map_err(|error| error.to_string())?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ])?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(base.join("server.key"), std::fs::Permissions::from_mode(0o600))
        .map_err(|error| error.to_string())?;
    Ok(base.join("ca.pem"))
}
