//! Creating, starting and stopping one private cluster.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::runas::RunAs;
use super::{ClusterError, PgBinaries};

/// File in the data directory with the settings written at every start.
const CONF_FILE: &str = "christen.conf";
/// Line appended to `postgresql.conf` so that it reads [`CONF_FILE`].
const INCLUDE_LINE: &str = "include_if_exists = 'christen.conf'";
/// The server's stderr, in the data directory.
const LOG_FILE: &str = "server.log";
/// A log bigger than this is moved to `server.log.1` at start.
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;
/// How many lines of the log an error shows.
const LOG_TAIL_LINES: usize = 30;
/// Environment variables that would steer the PostgreSQL programs elsewhere.
const PG_ENV: [&str; 8] = [
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGOPTIONS",
    "PGSERVICE",
];

/// How a cluster is run. `Default` is what the service wants: durable, a free port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// `false` turns off `fsync`, `synchronous_commit` and `full_page_writes` (and makes
    /// `initdb` skip syncing): much faster, and a crash of the machine may lose or
    /// corrupt data. For throwaway test clusters only.
    pub durable: bool,
    /// The loopback port to listen on; `None` picks a free one at every start.
    pub port: Option<u16>,
    /// PostgreSQL's `max_connections`.
    pub max_connections: u32,
    /// How long to wait for the server to accept connections.
    pub start_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            durable: true,
            port: None,
            max_connections: 100,
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// A running private PostgreSQL server. Stopped by [`Cluster::stop`] or on drop.
#[derive(Debug)]
pub struct Cluster {
    bins: PgBinaries,
    data_dir: PathBuf,
    port: u16,
    run_as: RunAs,
    running: bool,
    watchdog: Option<Child>,
}

impl Cluster {
    /// Starts the cluster in `data_dir` with [`ClusterOptions::default`], creating it
    /// first when the directory is missing or empty.
    pub fn start(bins: &PgBinaries, data_dir: &Path) -> Result<Cluster, ClusterError> {
        Self::start_with(bins, data_dir, &ClusterOptions::default())
    }

    /// Starts the cluster in `data_dir`, creating it first when the directory is missing
    /// or empty, and waits until it accepts connections.
    pub fn start_with(
        bins: &PgBinaries,
        data_dir: &Path,
        opts: &ClusterOptions,
    ) -> Result<Cluster, ClusterError> {
        let run_as = RunAs::detect()?;
        let data_dir = prepare_data_dir(data_dir, &run_as)?;

        if data_dir.join("PG_VERSION").is_file() {
            check_version(bins, &data_dir)?;
            ensure_include_line(&data_dir)?;
        } else {
            let empty = fs::read_dir(&data_dir)
                .map_err(|source| ClusterError::Io {
                    action: "read the data directory",
                    path: data_dir.clone(),
                    source,
                })?
                .next()
                .is_none();
            if !empty {
                return Err(ClusterError::NotADataDirectory { path: data_dir });
            }
            initdb(bins, &data_dir, &run_as, opts)?;
            ensure_include_line(&data_dir)?;
        }

        clear_stale_pid_file(&data_dir)?;
        rotate_log(&data_dir, &run_as)?;

        let mut cluster = Cluster {
            bins: bins.clone(),
            data_dir,
            port: 0,
            run_as,
            running: false,
            watchdog: None,
        };
        cluster.launch(opts)?;
        Ok(cluster)
    }

    /// Starts the server, retrying on a port someone else took in the meantime and on
    /// shared memory still held by the children of a killed server.
    fn launch(&mut self, opts: &ClusterOptions) -> Result<(), ClusterError> {
        let deadline = Instant::now() + opts.start_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.port = match opts.port {
                Some(p) => p,
                None => free_port()?,
            };
            write_conf(&self.data_dir, &self.run_as, self.port, opts)?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let secs = remaining.as_secs().max(1);
            let log_offset = fs::metadata(self.log_path()).map(|m| m.len()).unwrap_or(0);
            tracing::info!(
                data_dir = %self.data_dir.display(),
                port = self.port,
                "starting PostgreSQL"
            );
            let out = self.pg_ctl(&[
                "start",
                "-w",
                "-s",
                "-t",
                &secs.to_string(),
                "-l",
                &self.log_path().to_string_lossy(),
            ])?;
            if out.status.success() {
                self.running = true;
                return self.wait_ready(deadline, opts.start_timeout);
            }
            let log_tail = tail(&self.log_path(), log_offset, LOG_TAIL_LINES);
            let transient = (opts.port.is_none() && log_tail.contains("could not bind"))
                || log_tail.contains("pre-existing shared memory block");
            if transient && attempt < 5 && Instant::now() < deadline {
                sleep(Duration::from_millis(500));
                continue;
            }
            // pg_ctl gave up waiting; make sure no half-started server stays behind.
            let _ = self.pg_ctl(&["stop", "-m", "immediate", "-s"]);
            return Err(ClusterError::StartFailed {
                data_dir: self.data_dir.clone(),
                port: self.port,
                reason: format!("pg_ctl start failed ({})", describe_output(&out)),
                log_path: self.log_path(),
                log_tail,
            });
        }
    }

    /// Waits until the server answers on its port: `pg_isready` where installed, else a
    /// plain TCP connection.
    fn wait_ready(&mut self, deadline: Instant, timeout: Duration) -> Result<(), ClusterError> {
        let isready = self.bins.pg_isready();
        loop {
            let ready = match &isready {
                Some(prog) => Command::new(prog)
                    .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
                    .args(["-t", "2", "-p", &self.port.to_string()])
                    .envs_remove()
                    .stdin(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false),
                None => TcpStream::connect_timeout(
                    &(Ipv4Addr::LOCALHOST, self.port).into(),
                    Duration::from_secs(1),
                )
                .is_ok(),
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.stop();
                return Err(ClusterError::NotReady {
                    port: self.port,
                    timeout,
                    log_path: self.log_path(),
                    log_tail: self.log_tail(),
                });
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// A libpq/diesel URL for database `dbname` on this server, as superuser `postgres`.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{}",
            self.port,
            percent_encode(dbname)
        )
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join(LOG_FILE)
    }

    /// Whether this handle still owns a running server.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The process id of the postmaster, from `postmaster.pid`.
    pub fn postmaster_pid(&self) -> Option<u32> {
        read_pid_file(&self.data_dir).ok().flatten()
    }

    /// Stops the server (`pg_ctl stop -m fast`: open sessions are rolled back and
    /// disconnected). Stopping a stopped cluster does nothing.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if !self.running {
            return Ok(());
        }
        // A server that died (killed, crashed) has nothing to stop; `pg_ctl stop` would
        // wait in vain for an unreaped zombie postmaster.
        if self.postmaster_pid().is_none_or(|pid| !is_alive(pid)) {
            self.running = false;
            return Ok(());
        }
        tracing::info!(data_dir = %self.data_dir.display(), "stopping PostgreSQL");
        let out = self.pg_ctl(&["stop", "-m", "fast", "-w", "-s", "-t", "60"])?;
        if out.status.success() {
            self.running = false;
            return Ok(());
        }
        // Exit status 3 of `pg_ctl status`: no server running (it died on its own).
        let status = self.pg_ctl(&["status"])?;
        if status.status.code() == Some(3) {
            self.running = false;
            return Ok(());
        }
        Err(ClusterError::StopFailed {
            data_dir: self.data_dir.clone(),
            output: describe_output(&out),
        })
    }

    /// Makes sure the server is stopped even when this process ends without dropping
    /// the `Cluster` (a `static`, `std::process::exit`, a kill): a detached `sh` waits
    /// for this process to exit, then sends the postmaster a fast-shutdown signal if the
    /// directory is still served by the same postmaster (so a later server on the same
    /// directory is left alone), and then removes `remove_afterwards`, if given.
    pub fn stop_when_process_exits(
        &mut self,
        remove_afterwards: Option<&Path>,
    ) -> Result<(), ClusterError> {
        self.stop_when_pid_exits(std::process::id(), remove_afterwards)
    }

    /// [`Cluster::stop_when_process_exits`] for the process `pid` (which the watchdog
    /// must be allowed to signal with `kill -0`) instead of this one.
    pub fn stop_when_pid_exits(
        &mut self,
        pid: u32,
        remove_afterwards: Option<&Path>,
    ) -> Result<(), ClusterError> {
        let pm_pid = read_pid_file(&self.data_dir)?.unwrap_or(0);
        let script = r#"
parent=$1; dir=$2; pm=$3; rm=$4
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
if [ "$pm" != 0 ] && [ "$(head -n 1 "$dir/postmaster.pid" 2>/dev/null)" = "$pm" ]; then
  kill -INT "$pm" 2>/dev/null
  i=0
  # Until it is gone, or an unreaped zombie (kill -0 still succeeds on those).
  while kill -0 "$pm" 2>/dev/null && ! grep -qs '^State:[[:space:]]*[ZX]' "/proc/$pm/status" && [ "$i" -lt 600 ]; do
    sleep 0.1 2>/dev/null || sleep 1; i=$((i+1))
  done
fi
if [ -n "$rm" ]; then rm -rf -- "$rm"; fi
"#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("christen-pg-watchdog")
            .arg(pid.to_string())
            .arg(&self.data_dir)
            .arg(pm_pid.to_string())
            .arg(remove_afterwards.map(Path::as_os_str).unwrap_or_default())
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|source| ClusterError::Spawn {
                program: PathBuf::from("sh"),
                source,
            })?;
        self.watchdog = Some(child);
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, ClusterError> {
        let program = self.bins.pg_ctl();
        let mut cmd = self.run_as.command(&program);
        cmd.arg(args[0])
            .arg("-D")
            .arg(&self.data_dir)
            .args(&args[1..])
            .envs_remove()
            .stdin(Stdio::null());
        cmd.output()
            .map_err(|source| ClusterError::Spawn { program, source })
    }

    fn log_tail(&self) -> String {
        tail(&self.log_path(), 0, LOG_TAIL_LINES)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "could not stop PostgreSQL");
        }
        // The watchdog lives on until this process exits; reap it if it already ended.
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.try_wait();
        }
    }
}

/// `Command::env_remove` for every PostgreSQL environment variable.
trait EnvsRemove {
    fn envs_remove(&mut self) -> &mut Self;
}

impl EnvsRemove for Command {
    fn envs_remove(&mut self) -> &mut Self {
        for var in PG_ENV {
            self.env_remove(var);
        }
        self
    }
}

/// Creates the data directory, makes it absolute, and — as root — gives it to the user
/// the server runs as and makes its parents traversable for that user.
fn prepare_data_dir(data_dir: &Path, run_as: &RunAs) -> Result<PathBuf, ClusterError> {
    fs::create_dir_all(data_dir).map_err(|source| ClusterError::Io {
        action: "create the data directory",
        path: data_dir.to_path_buf(),
        source,
    })?;
    let data_dir = fs::canonicalize(data_dir).map_err(|source| ClusterError::Io {
        action: "resolve the data directory",
        path: data_dir.to_path_buf(),
        source,
    })?;
    if let Some((uid, gid)) = run_as.uid_gid() {
        make_parents_traversable(&data_dir, uid, gid)?;
        let meta = fs::metadata(&data_dir).map_err(|source| ClusterError::Io {
            action: "inspect the data directory",
            path: data_dir.clone(),
            source,
        })?;
        if meta.uid() != uid {
            tracing::info!(
                data_dir = %data_dir.display(),
                user = %run_as.describe(),
                "giving the data directory to the user PostgreSQL runs as"
            );
            chown_tree(&data_dir, uid, gid)?;
        }
    }
    // PostgreSQL insists on 0700 (or 0750).
    let meta = fs::metadata(&data_dir).map_err(|source| ClusterError::Io {
        action: "inspect the data directory",
        path: data_dir.clone(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode != 0o700 && mode != 0o750 {
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
            ClusterError::Io {
                action: "set mode 0700 on the data directory",
                path: data_dir.clone(),
                source,
            }
        })?;
    }
    Ok(data_dir)
}

/// Adds the search bit for others to every parent of `dir` that user `uid` (group
/// `gid`) could not traverse. Supplementary groups are not considered.
fn make_parents_traversable(dir: &Path, uid: u32, gid: u32) -> Result<(), ClusterError> {
    for parent in dir.ancestors().skip(1) {
        let meta = fs::metadata(parent).map_err(|source| ClusterError::Io {
            action: "inspect",
            path: parent.to_path_buf(),
            source,
        })?;
        let mode = meta.permissions().mode();
        let can = mode & 0o001 != 0
            || (meta.uid() == uid && mode & 0o100 != 0)
            || (meta.gid() == gid && mode & 0o010 != 0);
        if !can {
            tracing::warn!(
                dir = %parent.display(),
                "adding o+x (search only) so that PostgreSQL's user can reach its data directory"
            );
            fs::set_permissions(parent, fs::Permissions::from_mode((mode | 0o001) & 0o7777))
                .map_err(|source| ClusterError::Io {
                    action: "make traversable (chmod o+x)",
                    path: parent.to_path_buf(),
                    source,
                })?;
        }
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<(), ClusterError> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(|source| ClusterError::Io {
        action: "change the owner of",
        path: path.to_path_buf(),
        source,
    })?;
    let meta = fs::symlink_metadata(path).map_err(|source| ClusterError::Io {
        action: "inspect",
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        let entries = fs::read_dir(path).map_err(|source| ClusterError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| ClusterError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            })?;
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn check_version(bins: &PgBinaries, data_dir: &Path) -> Result<(), ClusterError> {
    let path = data_dir.join("PG_VERSION");
    let data_version = fs::read_to_string(&path)
        .map_err(|source| ClusterError::Io {
            action: "read",
            path,
            source,
        })?
        .trim()
        .to_string();
    match bins.major_version() {
        Some(v) if v != data_version => Err(ClusterError::VersionMismatch {
            data_dir: data_dir.to_path_buf(),
            data_version,
            binaries_version: v,
            bindir: bins.bindir().to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn initdb(
    bins: &PgBinaries,
    data_dir: &Path,
    run_as: &RunAs,
    opts: &ClusterOptions,
) -> Result<(), ClusterError> {
    tracing::info!(
        data_dir = %data_dir.display(),
        user = %run_as.describe(),
        "creating a new PostgreSQL cluster"
    );
    let program = bins.initdb();
    let mut cmd = run_as.command(&program);
    cmd.arg("-D")
        .arg(data_dir)
        .args(["-U", "postgres", "-E", "UTF8"])
        .args(["--auth-local=trust", "--auth-host=trust"]);
    if has_c_utf8_locale() {
        cmd.arg("--locale=C.UTF-8");
    } else {
        cmd.arg("--no-locale");
    }
    if !opts.durable {
        cmd.arg("--no-sync");
    }
    let out = cmd
        .envs_remove()
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ClusterError::Spawn {
            program: program.clone(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ClusterError::InitdbFailed {
            data_dir: data_dir.to_path_buf(),
            user: run_as.describe(),
            output: describe_output(&out),
        })
    }
}

fn has_c_utf8_locale() -> bool {
    Command::new("locale")
        .arg("-a")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).lines().any(|l| {
                let l = l.trim().to_ascii_lowercase();
                l == "c.utf8" || l == "c.utf-8"
            })
        })
        .unwrap_or(false)
}

/// Appends the include of `christen.conf` to `postgresql.conf` unless it is there.
fn ensure_include_line(data_dir: &Path) -> Result<(), ClusterError> {
    let path = data_dir.join("postgresql.conf");
    let current = fs::read_to_string(&path).map_err(|source| ClusterError::Io {
        action: "read",
        path: path.clone(),
        source,
    })?;
    if current.lines().any(|l| l.trim() == INCLUDE_LINE) {
        return Ok(());
    }
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|source| ClusterError::Io {
            action: "open for appending",
            path: path.clone(),
            source,
        })?;
    writeln!(
        file,
        "\n# Added by Christen: settings it writes at every start (port, listen address).\n{INCLUDE_LINE}"
    )
    .map_err(|source| ClusterError::Io {
        action: "append to",
        path,
        source,
    })
}

fn write_conf(
    data_dir: &Path,
    run_as: &RunAs,
    port: u16,
    opts: &ClusterOptions,
) -> Result<(), ClusterError> {
    let mut conf = format!(
        "# Written by Christen at every start of this cluster; changes here are overwritten.\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = ''\n\
         max_connections = {}\n",
        opts.max_connections
    );
    if !opts.durable {
        conf.push_str(
            "# A throwaway cluster: speed over crash safety.\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n",
        );
    }
    let path = data_dir.join(CONF_FILE);
    fs::write(&path, conf).map_err(|source| ClusterError::Io {
        action: "write",
        path: path.clone(),
        source,
    })?;
    give_to(&path, run_as)
}

fn give_to(path: &Path, run_as: &RunAs) -> Result<(), ClusterError> {
    if let Some((uid, gid)) = run_as.uid_gid() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|source| {
            ClusterError::Io {
                action: "change the owner of",
                path: path.to_path_buf(),
                source,
            }
        })?;
    }
    Ok(())
}

fn rotate_log(data_dir: &Path, run_as: &RunAs) -> Result<(), ClusterError> {
    let log = data_dir.join(LOG_FILE);
    if fs::metadata(&log)
        .map(|m| m.len() > LOG_ROTATE_BYTES)
        .unwrap_or(false)
    {
        let old = data_dir.join(format!("{LOG_FILE}.1"));
        fs::rename(&log, &old).map_err(|source| ClusterError::Io {
            action: "rotate the server log",
            path: log.clone(),
            source,
        })?;
    }
    if !log.exists() {
        fs::write(&log, b"").map_err(|source| ClusterError::Io {
            action: "create the server log",
            path: log.clone(),
            source,
        })?;
        give_to(&log, run_as)?;
    }
    Ok(())
}

/// The pid on the first line of `postmaster.pid` (negative in single-user mode).
fn read_pid_file(data_dir: &Path) -> Result<Option<u32>, ClusterError> {
    let path = data_dir.join("postmaster.pid");
    match fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<i64>().ok())
            .and_then(|p| u32::try_from(p.unsigned_abs()).ok())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ClusterError::Io {
            action: "read",
            path,
            source,
        }),
    }
}

/// A server that another process runs on the cluster in `data_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningServer {
    /// The postmaster's process id.
    pub pid: u32,
    /// Its port, from `postmaster.pid`, once it has written it.
    pub port: Option<u16>,
    /// The process that started it and will stop it (the one its watchdog waits
    /// for, see [`Cluster::stop_when_process_exits`]), when that can be told.
    pub owner: Option<u32>,
}

/// The server running on the cluster in `data_dir`, if any: a live postmaster
/// recorded in `postmaster.pid` (PostgreSQL's lock on the directory), or any live
/// process working in the directory. A `postmaster.pid` left by a server that is
/// gone is not a running server.
pub fn running_server(data_dir: &Path) -> Option<RunningServer> {
    let data_dir = fs::canonicalize(data_dir).ok()?;
    let recorded = read_pid_file(&data_dir).ok().flatten();
    let pid = match processes_in(&data_dir) {
        Some(live) => recorded
            .filter(|p| live.contains(p))
            .or_else(|| live.first().copied())?,
        None => recorded.filter(|&p| is_alive(p))?,
    };
    let port = fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().nth(3).and_then(|l| l.trim().parse().ok()));
    Some(RunningServer {
        pid,
        port,
        owner: watchdog_owner(&data_dir, pid),
    })
}

/// The process a watchdog of the postmaster `pm` on `data_dir` waits for: its
/// command line is `sh -c SCRIPT christen-pg-watchdog OWNER DIR PM RM`.
fn watchdog_owner(data_dir: &Path, pm: u32) -> Option<u32> {
    let entries = fs::read_dir("/proc").ok()?;
    entries.filter_map(Result::ok).find_map(|e| {
        e.file_name().to_str()?.parse::<u32>().ok()?;
        let cmdline = fs::read(e.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let at = args.iter().position(|a| *a == b"christen-pg-watchdog")?;
        let arg = |i: usize| std::str::from_utf8(args.get(at + i)?).ok();
        let owner: u32 = arg(1)?.parse().ok()?;
        let same_dir = arg(2).is_some_and(|d| Path::new(d) == data_dir);
        let same_pm = arg(3).is_some_and(|p| p == pm.to_string());
        (same_dir && same_pm && is_alive(owner)).then_some(owner)
    })
}

/// Live (not zombie) processes whose working directory is `data_dir`: a postmaster and
/// its children all run there. `None` where there is no `/proc` to ask. Processes of
/// other users are invisible when we are not root, which is fine: they could not use a
/// data directory that we own.
fn processes_in(data_dir: &Path) -> Option<Vec<u32>> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    let entries = fs::read_dir("/proc").ok()?;
    Some(
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data_dir)
                    && is_alive(*pid)
            })
            .collect(),
    )
}

/// Whether `pid` is a running process (not a zombie). Without `/proc`, `true`.
fn is_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Removes a `postmaster.pid` left behind by a server that is gone (a crash, a killed
/// container), once no process of that server is left in the directory: PostgreSQL's
/// own check would refuse to start when the recorded pid has been reused by another
/// process or is an unreaped zombie. A server still running here gets a few seconds to
/// exit (its owner may be shutting it down) before this reports
/// [`ClusterError::AlreadyRunning`]. Without `/proc`, the file is left to PostgreSQL.
fn clear_stale_pid_file(data_dir: &Path) -> Result<(), ClusterError> {
    let path = data_dir.join("postmaster.pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if !path.exists() {
            return Ok(());
        }
        let Some(live) = processes_in(data_dir) else {
            return Ok(());
        };
        if live.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let recorded = read_pid_file(data_dir)?;
            let pid = recorded
                .filter(|p| live.contains(p))
                .unwrap_or_else(|| live[0]);
            return Err(ClusterError::AlreadyRunning {
                pid,
                data_dir: data_dir.to_path_buf(),
            });
        }
        sleep(Duration::from_millis(200));
    }
    tracing::warn!(path = %path.display(), "removing a stale postmaster.pid left by a server that is gone");
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ClusterError::Io {
            action: "remove the stale",
            path,
            source,
        }),
    }
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(ClusterError::NoFreePort)?;
    let port = listener
        .local_addr()
        .map_err(ClusterError::NoFreePort)?
        .port();
    Ok(port)
}

/// The last `lines` lines of a file written after byte `from`, or a note saying why
/// there are none.
fn tail(path: &Path, from: u64, lines: usize) -> String {
    const MAX_BYTES: u64 = 64 * 1024;
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return format!("(could not read {}: {e})", path.display()),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = from.max(len.saturating_sub(MAX_BYTES)).min(len);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return format!("(could not read {})", path.display());
    }
    let mut buf = Vec::new();
    if let Err(e) = file.read_to_end(&mut buf) {
        return format!("(could not read {}: {e})", path.display());
    }
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    if all.is_empty() {
        return "(the log is empty)".to_string();
    }
    all[start..].join("\n")
}

fn describe_output(out: &Output) -> String {
    let mut s = match out.status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    };
    for stream in [&out.stderr, &out.stdout] {
        let text = String::from_utf8_lossy(stream);
        let text = text.trim();
        if !text.is_empty() {
            s.push_str(": ");
            s.push_str(text);
        }
    }
    s
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_database_names() {
        assert_eq!(percent_encode("christen_test_1"), "christen_test_1");
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn tail_of_a_missing_file_says_so() {
        assert!(tail(Path::new("/nonexistent/christen.log"), 0, 5).contains("could not read"));
    }
}
