//! The `christen` binary: `org create`, and `serve` in the embedded mode.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

use crate::helpers::fresh_db;

const BIN: &str = env!("CARGO_BIN_EXE_christen");

fn christen() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DATABASE_URL")
        .env_remove("DATABASE_READ_URL")
        .env_remove("CHRISTEN_SECRET")
        .env_remove("CHRISTEN_BIND")
        .env_remove("CHRISTEN_DATA_DIR")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn org_create_prints_an_id_and_a_working_key() {
    let db = fresh_db();
    let out = christen()
        .args(["org", "create", "--name", "City Library", "--json"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = printed["api_key"].as_str().unwrap();
    assert!(key.starts_with("chr_"));
    assert!(printed["org_id"].as_str().unwrap().len() == 36);

    let out = christen()
        .args(["org", "create", "--name", ""])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("name"));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "christen-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn serve_embedded(data_dir: &Path, port: u16) -> Child {
    christen()
        .arg("serve")
        .env("CHRISTEN_DATA_DIR", data_dir)
        .env("CHRISTEN_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn wait_ready(client: &Client, port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/readyz")).send() {
            if res.status() == 200 {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("christen serve exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "christen serve did not become ready"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "serve exited with {status} after SIGTERM");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_database_url_serve_owns_a_private_cluster_and_reuses_it() {
    let data_dir = temp_dir("embedded");
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let port = free_port();
    let mut server = serve_embedded(&data_dir, port);
    wait_ready(&client, port, &mut server);
    assert!(data_dir.join("postgres").join("PG_VERSION").exists());
    assert!(
        data_dir.join("secret").exists(),
        "a secret is generated and kept"
    );

    // `org create` beside the running service uses the same cluster.
    let out = christen()
        .args(["org", "create", "--name", "City Library", "--json"])
        .env("CHRISTEN_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let org: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = org["api_key"].as_str().unwrap().to_owned();
    let res = client
        .get(format!("http://127.0.0.1:{port}/v1/contests"))
        .bearer_auth(&key)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);

    terminate(&mut server);
    assert!(
        !data_dir.join("postgres").join("postmaster.pid").exists(),
        "the cluster is stopped with the service"
    );

    // A second start reuses the cluster: the organisation is still there.
    let port = free_port();
    let mut server = serve_embedded(&data_dir, port);
    wait_ready(&client, port, &mut server);
    let res = client
        .get(format!("http://127.0.0.1:{port}/v1/contests"))
        .bearer_auth(&key)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    terminate(&mut server);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn with_database_url_a_secret_is_required() {
    let db = fresh_db();
    let out = christen()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CHRISTEN_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CHRISTEN_SECRET"));
}
