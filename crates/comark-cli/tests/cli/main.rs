//! The CLI suite: the real `comark` binary, on a temporary SQLite data directory or a fresh
//! PostgreSQL database. Every wait is bounded; a server left running is killed on drop.

mod accounts;
mod accuracy;
mod admin;
mod assessment;
mod commands;
mod connections;
mod exports;
mod imports;
mod intake;
mod partnerships;
mod serve;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use comark_store::Store;
pub use comark_testkit::{Backend, TestDatabase};

/// How long a one-shot command (migrate, demo, backup...) may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `serve` may take to answer `/healthz`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `serve` may take to exit after SIGTERM.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a new, empty directory under the system's temporary directory.
    pub fn create() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "comark-cli-test-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The URL of the SQLite database `comark` keeps in this data directory.
    pub fn sqlite_url(&self) -> String {
        Store::sqlite_url_in(&self.0)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `comark` with a clean environment: no `COMARK_*` variable leaks in from the test runner.
pub fn comark() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comark"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("COMARK_") {
            command.env_remove(name);
        }
    }
    command.env("COMARK_LOG", "warn");
    command
}

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    /// Its exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    /// Panics with the output unless the command succeeded.
    pub fn assert_success(&self) -> &Self {
        assert!(self.status.success(), "the command failed: {self:#?}");
        self
    }

    /// Panics with the output unless the command failed.
    pub fn assert_failure(&self) -> &Self {
        assert!(
            !self.status.success(),
            "the command should have failed: {self:#?}"
        );
        self
    }
}

/// Runs `args` to completion (feeding `stdin`), killing the process after [`COMMAND_TIMEOUT`].
pub fn run_with_stdin(mut command: Command, stdin: &str) -> Outcome {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start comark");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        // The command may exit without reading; a broken pipe is fine.
        let _ = input.write_all(stdin.as_bytes());
    });
    let mut stdout_pipe = child.stdout.take().expect("stdout is piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout_pipe.read_to_string(&mut text);
        text
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let status = wait_for_exit(&mut child, COMMAND_TIMEOUT).unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("comark did not finish within {COMMAND_TIMEOUT:?}: {command:?}");
    });
    let _ = writer.join();
    Outcome {
        status,
        stdout: stdout_reader.join().expect("read stdout"),
        stderr: stderr_reader.join().expect("read stderr"),
    }
}

/// Runs `args` to completion with nothing on standard input.
pub fn run(command: Command) -> Outcome {
    run_with_stdin(command, "")
}

/// `comark ARGS` to completion.
pub fn comark_with(args: &[&str]) -> Outcome {
    let mut command = comark();
    command.args(args);
    run(command)
}

/// `comark ARGS DATABASE` to completion: a command against the database `database` names
/// (`--data-dir DIR` or `--database-url URL`).
pub fn comark_on(database: &[&str], args: &[&str]) -> Outcome {
    let mut command = comark();
    command.args(args).args(database);
    run(command)
}

/// Waits for `child` to exit, for at most `limit`.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child process") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `N` distinct ports nobody listens on right now.
pub fn free_ports<const N: usize>() -> [u16; N] {
    // Hold every listener until all ports are known, so the ports differ.
    let listeners: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    std::array::from_fn(|index| {
        listeners[index]
            .local_addr()
            .expect("the listener's address")
            .port()
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let [port] = free_ports::<1>();
    port
}

/// `GET path` over plain HTTP/1.1; the status code and body, or `None` if nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A running `comark serve`, killed on drop if it is still up.
pub struct Server {
    child: Child,
    logs: PathBuf,
    _logs_dir: TempDir,
}

impl Server {
    /// Starts `command` (a `comark serve ...`) with its output going to a log file.
    pub fn start(mut command: Command) -> Server {
        let logs_dir = TempDir::create();
        let logs = logs_dir.join("serve.log");
        let log = std::fs::File::create(&logs).expect("create the log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log file"))
            .stderr(log)
            .spawn()
            .expect("start comark serve");
        Server {
            child,
            logs,
            _logs_dir: logs_dir,
        }
    }

    /// What the server printed so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }

    /// Waits until `GET /healthz` on `port` answers 200, for at most [`STARTUP_TIMEOUT`].
    pub fn wait_until_healthy(&mut self, port: u16) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some((200, _)) = http_get(port, "/healthz") {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                panic!(
                    "comark serve exited with {status} before answering:\n{}",
                    self.logs()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "comark serve did not answer /healthz on port {port} within {STARTUP_TIMEOUT:?}:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server at once (SIGKILL), as a crash or `kill -9` would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and asserts the server exits successfully within [`SHUTDOWN_TIMEOUT`].
    pub fn stop_gracefully(mut self) {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        match wait_for_exit(&mut self.child, SHUTDOWN_TIMEOUT) {
            Some(status) => assert!(
                status.success(),
                "comark serve exited with {status} after SIGTERM:\n{}",
                self.logs()
            ),
            None => panic!(
                "comark serve was still running {SHUTDOWN_TIMEOUT:?} after SIGTERM:\n{}",
                self.logs()
            ),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
