//! Finding the PostgreSQL server binaries installed on this machine.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian and Ubuntu put one directory of server binaries per major version.
const DEBIAN_VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// The three programs a private cluster cannot do without.
const REQUIRED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// A directory holding `initdb`, `pg_ctl` and `postgres` of one PostgreSQL installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    bindir: PathBuf,
}

/// No PostgreSQL server binaries were found. Its `Display` is one paragraph that says
/// where we looked and names the three ways out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    /// Every directory that was looked at, in order.
    pub searched: Vec<PathBuf>,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found, so Christen \
             cannot start its own database"
        )?;
        if self.searched.is_empty() {
            write!(f, " (nothing to search: no pg_config, PATH is empty and ")?;
            write!(f, "{DEBIAN_VERSIONS_ROOT}/*/bin does not exist)")?;
        } else {
            let dirs: Vec<String> = self
                .searched
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            write!(f, " (looked in: {})", dirs.join(", "))?;
        }
        write!(
            f,
            ". There are three ways out: install PostgreSQL (for example \
             `apt-get install postgresql` on Debian or Ubuntu, `brew install postgresql` on \
             macOS) and run again; or set DATABASE_URL to an existing PostgreSQL database \
             (for example DATABASE_URL=postgres://user:password@localhost:5432/christen); \
             or run `docker compose up`, which starts PostgreSQL and Christen together."
        )
    }
}

impl std::error::Error for NotFound {}

impl PgBinaries {
    /// Finds the server binaries: first the directory `pg_config --bindir` names (if it
    /// holds `initdb`, `pg_ctl` and `postgres`), then each directory of `PATH`, then the
    /// highest version under `/usr/lib/postgresql/*/bin`.
    pub fn locate() -> Result<Self, NotFound> {
        Self::locate_in(
            std::env::var_os("PATH").as_deref(),
            Path::new(DEBIAN_VERSIONS_ROOT),
        )
    }

    /// [`PgBinaries::locate`] with an explicit `PATH` value and versions root (the
    /// directory holding one `<version>/bin` per installed major version). `pg_config`
    /// is looked up on the given `PATH`.
    pub fn locate_in(path: Option<&OsStr>, versions_root: &Path) -> Result<Self, NotFound> {
        let mut searched = Vec::new();
        let path_dirs: Vec<PathBuf> = path
            .map(|p| std::env::split_paths(p).collect())
            .unwrap_or_default();

        // 1. pg_config --bindir
        if let Some(pg_config) = path_dirs
            .iter()
            .map(|d| d.join("pg_config"))
            .find(|p| is_executable(p))
        {
            if let Some(dir) = pg_config_bindir(&pg_config) {
                if let Some(found) = Self::check(&dir) {
                    return Ok(found);
                }
                searched.push(dir);
            }
        }

        // 2. PATH
        for dir in &path_dirs {
            if dir.as_os_str().is_empty() {
                continue;
            }
            if let Some(found) = Self::check(dir) {
                return Ok(found);
            }
            if !searched.contains(dir) {
                searched.push(dir.clone());
            }
        }

        // 3. /usr/lib/postgresql/<highest version>/bin
        for dir in versioned_bindirs(versions_root) {
            if let Some(found) = Self::check(&dir) {
                return Ok(found);
            }
            searched.push(dir);
        }
        if !versions_root.is_dir() {
            searched.push(versions_root.join("*").join("bin"));
        }

        Err(NotFound { searched })
    }

    /// Uses the binaries in `dir`, which must hold `initdb`, `pg_ctl` and `postgres`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Result<Self, NotFound> {
        let dir = dir.into();
        Self::check(&dir).ok_or(NotFound {
            searched: vec![dir],
        })
    }

    fn check(dir: &Path) -> Option<Self> {
        if REQUIRED.iter().all(|name| is_executable(&dir.join(name))) {
            // Keep symlinked directories as given: the programs find each other
            // through their own resolved paths anyway.
            Some(Self {
                bindir: dir.to_path_buf(),
            })
        } else {
            None
        }
    }

    /// The directory the binaries are in.
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// Path of `initdb`.
    pub fn initdb(&self) -> PathBuf {
        self.bindir.join("initdb")
    }

    /// Path of `pg_ctl`.
    pub fn pg_ctl(&self) -> PathBuf {
        self.bindir.join("pg_ctl")
    }

    /// Path of `postgres`.
    pub fn postgres(&self) -> PathBuf {
        self.bindir.join("postgres")
    }

    /// Path of `pg_isready`, when it is installed next to the server.
    pub fn pg_isready(&self) -> Option<PathBuf> {
        let p = self.bindir.join("pg_isready");
        is_executable(&p).then_some(p)
    }

    /// Path of `psql`, when it is installed next to the server.
    pub fn psql(&self) -> Option<PathBuf> {
        let p = self.bindir.join("psql");
        is_executable(&p).then_some(p)
    }

    /// The major version of these binaries as PostgreSQL writes it into `PG_VERSION`
    /// (`"15"`, or `"9.6"` for old releases), read from `postgres --version`.
    pub fn major_version(&self) -> Option<String> {
        let out = Command::new(self.postgres())
            .arg("--version")
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        parse_major_version(&String::from_utf8_lossy(&out.stdout))
    }
}

/// `postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)` → `15`; `9.6.24` → `9.6`.
pub(crate) fn parse_major_version(version_output: &str) -> Option<String> {
    let after = version_output
        .split_once(')')
        .map_or(version_output, |(_, rest)| rest);
    let number = after
        .split_whitespace()
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit());
    let mut parts = number.split('.');
    let major = parts.next()?;
    let major_n: u32 = major
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .ok()?;
    if major_n >= 10 {
        Some(major_n.to_string())
    } else {
        let minor: u32 = parts.next()?.parse().ok()?;
        Some(format!("{major_n}.{minor}"))
    }
}

fn pg_config_bindir(pg_config: &Path) -> Option<PathBuf> {
    let out = Command::new(pg_config).arg("--bindir").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let dir = text.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every version directory, highest version first.
fn versioned_bindirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let key: Option<Vec<u32>> = name.split('.').map(|p| p.parse().ok()).collect();
            key.map(|k| (k, e.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions() {
        assert_eq!(
            parse_major_version("postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n"),
            Some("15".into())
        );
        assert_eq!(
            parse_major_version("postgres (PostgreSQL) 9.6.24\n"),
            Some("9.6".into())
        );
        assert_eq!(
            parse_major_version("postgres (PostgreSQL) 17beta1\n"),
            Some("17".into())
        );
        assert_eq!(parse_major_version("garbage"), None);
    }

    #[test]
    fn highest_version_first() {
        let root = std::env::temp_dir().join(format!("christen-bins-{}", std::process::id()));
        for v in ["9.6", "15", "13", "notaversion"] {
            std::fs::create_dir_all(root.join(v).join("bin")).expect("create test dirs");
        }
        let dirs = versioned_bindirs(&root);
        let names: Vec<String> = dirs
            .iter()
            .map(|d| {
                d.parent()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names, ["15", "13", "9.6"]);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
