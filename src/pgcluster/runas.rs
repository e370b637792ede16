//! PostgreSQL refuses to run as root. When we are root, the server programs run as an
//! unprivileged system user instead (`postgres` if it exists, else `nobody`), through
//! `runuser` (util-linux) or, failing that, `setpriv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ClusterError;

/// The user the server programs run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunAs {
    /// Not root: run them as ourselves.
    Myself,
    /// Root: switch to this user first.
    User(SystemUser),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SystemUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    switch: Switch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Switch {
    Runuser(PathBuf),
    Setpriv(PathBuf),
}

impl RunAs {
    /// Decides who runs the server: ourselves unless our effective uid is 0.
    pub(crate) fn detect() -> Result<Self, ClusterError> {
        if effective_uid()? != 0 {
            return Ok(RunAs::Myself);
        }
        let (name, uid, gid) = ["postgres", "nobody"]
            .iter()
            .find_map(|name| lookup_user(name).map(|(uid, gid)| (name.to_string(), uid, gid)))
            .ok_or(ClusterError::NoUnprivilegedUser)?;
        let switch = if let Some(p) = find_program("runuser") {
            Switch::Runuser(p)
        } else if let Some(p) = find_program("setpriv") {
            Switch::Setpriv(p)
        } else {
            return Err(ClusterError::NoUserSwitcher { user: name });
        };
        Ok(RunAs::User(SystemUser {
            name,
            uid,
            gid,
            switch,
        }))
    }

    /// A command that runs `program` as the chosen user, in `/` (the caller's working
    /// directory may not be readable by that user).
    pub(crate) fn command(&self, program: &Path) -> Command {
        let mut cmd = match self {
            RunAs::Myself => Command::new(program),
            RunAs::User(user) => {
                let mut cmd;
                match &user.switch {
                    Switch::Runuser(runuser) => {
                        cmd = Command::new(runuser);
                        cmd.args(["-u", &user.name, "--"]);
                    }
                    Switch::Setpriv(setpriv) => {
                        cmd = Command::new(setpriv);
                        cmd.arg(format!("--reuid={}", user.uid))
                            .arg(format!("--regid={}", user.gid))
                            .arg("--init-groups")
                            .arg("--");
                    }
                }
                cmd.arg(program);
                cmd
            }
        };
        cmd.current_dir("/");
        cmd
    }

    pub(crate) fn uid_gid(&self) -> Option<(u32, u32)> {
        match self {
            RunAs::Myself => None,
            RunAs::User(u) => Some((u.uid, u.gid)),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            RunAs::Myself => "the current user".to_string(),
            RunAs::User(u) => format!("system user `{}` (uid {})", u.name, u.uid),
        }
    }
}

/// The effective uid, from `/proc/self/status` (`Uid: real effective saved fs`), or
/// from `id -u` where there is no `/proc`.
pub(crate) fn effective_uid() -> Result<u32, ClusterError> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(uid) = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
        {
            return Ok(uid);
        }
    }
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|source| ClusterError::Spawn {
            program: PathBuf::from("id"),
            source,
        })?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| ClusterError::UnknownUid)
}

/// (uid, gid) of a user, by `id`, so that NSS sources other than /etc/passwd count too.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, name]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A program on `PATH` or in the usual system directories (root's PATH in a container
/// may lack the sbin directories).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
