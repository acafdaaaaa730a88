//! A Postgres server of one test's own, which the test may restart: a cluster made by
//! the machine's own `initdb` in a temporary folder, on a free port of 127.0.0.1, with
//! trust authentication for `postgres`. A restart is `pg_ctl restart -m fast`, what an
//! operator's restart does: every connection is ended, and none is accepted until the
//! server is back.
//!
//! Without the Postgres binaries the test says it skipped, unless
//! `WISAW_REQUIRE_POSTGRES=1` (as in CI), where it fails.

use crate::free_port;
use crate::store::REQUIRE_POSTGRES_VAR;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// Postgres refuses to run as root: the cluster then belongs to this account.
const SERVER_ACCOUNT: &str = "postgres";

pub struct OwnPostgres {
    bin: PathBuf,
    folder: TempDir,
    port: u16,
    as_root: bool,
}

impl OwnPostgres {
    /// A new cluster, started; `None` (after saying `test` skipped) without the binaries.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = binaries() else {
            assert!(
                std::env::var(REQUIRE_POSTGRES_VAR).as_deref() != Ok("1"),
                "{REQUIRE_POSTGRES_VAR}=1 but no Postgres binaries (pg_config --bindir) are here"
            );
            eprintln!("skipped {test}: no Postgres binaries (pg_config --bindir)");
            return None;
        };
        let folder = tempfile::tempdir().unwrap();
        let as_root = is_root();
        if as_root {
            run(Command::new("chown")
                .args(["-R", SERVER_ACCOUNT])
                .arg(folder.path()));
        }
        let cluster = Self {
            bin,
            port: free_port(),
            folder,
            as_root,
        };
        cluster.pg(
            "initdb",
            &["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"],
            &[&cluster.data()],
        );
        cluster.pg_ctl(&["start"]);
        Some(cluster)
    }

    /// The URL of `database` on this server, as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server the way an operator's restart does (`-m fast`: sessions ended,
    /// transactions rolled back) and starts it again; returns once it accepts connections.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    /// `pg_ctl ARGS` on this cluster. The server it starts writes to a log file: were it
    /// to inherit this process's pipes, reading them to their end would never end.
    fn pg_ctl(&self, args: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.folder.path().display()
        );
        let mut all = vec!["-w", "-o", options.as_str()];
        all.extend_from_slice(args);
        let log = self.folder.path().join("server.log");
        let data = self.data();
        self.pg(
            "pg_ctl",
            &all,
            &[Path::new("-l"), &log, Path::new("-D"), &data],
        );
    }

    /// Runs the Postgres program `program` with `args`, then `paths`.
    fn pg(&self, program: &str, args: &[&str], paths: &[&Path]) {
        let mut command = self.program(program);
        command.args(args).args(paths);
        run(&mut command);
    }

    /// The Postgres program `program`, to be run as the server's account.
    fn program(&self, program: &str) -> Command {
        let binary = self.bin.join(program);
        if self.as_root {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", SERVER_ACCOUNT, "--"]).arg(binary);
            runuser
        } else {
            Command::new(binary)
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .program("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.data())
            .output();
    }
}

/// The folder of the machine's Postgres programs, as `pg_config` gives it.
fn binaries() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let bin = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success() && bin.join("initdb").exists()).then_some(bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let output = command.output().expect("running a Postgres program");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
