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

#[test]
fn json_logs_carry_the_request_id_that_responses_return() {
    let db = fresh_db();
    let port = free_port();
    let mut server = christen()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CHRISTEN_SECRET", crate::helpers::TEST_SECRET)
        .env("CHRISTEN_BIND", format!("127.0.0.1:{port}"))
        .env("CHRISTEN_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    wait_ready(&client, port, &mut server);
    let res = client
        .get(format!("http://127.0.0.1:{port}/v1/contests"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    let request_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    terminate(&mut server);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l.to_string().contains(&request_id))
        .unwrap_or_else(|| panic!("no log line names request {request_id}: {stderr}"));
    assert_eq!(line["level"], "INFO");
    assert!(line.to_string().contains("/v1/contests"), "{line}");
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    let db = fresh_db();
    let mut conn = db.connect();
    let org = christen::app::orgs::create_org(&mut conn, "City Library").unwrap();
    let port = free_port();
    let mut server = christen()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CHRISTEN_SECRET", crate::helpers::TEST_SECRET)
        .env("CHRISTEN_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_ready(&client, port, &mut server);
    let contest: Value = client
        .post(format!("http://127.0.0.1:{port}/v1/contests"))
        .bearer_auth(&org.api_key)
        .json(&serde_json::json!({ "title": "Name the blog", "method": "irv" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = contest["id"].as_str().unwrap().to_owned();

    // Hold the contest's row lock so the PATCH below is still running at SIGTERM.
    let mut locker = diesel::PgConnection::establish(&db.url).unwrap();
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM contests WHERE id = '{id}' FOR UPDATE;"
        ))
        .unwrap();
    let in_flight = {
        let client = client.clone();
        let key = org.api_key.clone();
        let id = id.clone();
        std::thread::spawn(move || {
            client
                .patch(format!("http://127.0.0.1:{port}/v1/contests/{id}"))
                .bearer_auth(key)
                .json(&serde_json::json!({ "title": "Name our blog" }))
                .send()
                .map(|r| r.status().as_u16())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server waits for the request"
    );
    locker.batch_execute("COMMIT;").unwrap();
    assert_eq!(
        in_flight.join().unwrap().unwrap(),
        200,
        "the request in flight finished"
    );
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut check = db.connect();
    #[derive(diesel::QueryableByName)]
    struct Title {
        #[diesel(sql_type = diesel::sql_types::Text)]
        title: String,
    }
    use diesel::RunQueryDsl;
    let row: Title = diesel::sql_query(format!("SELECT title FROM contests WHERE id = '{id}'"))
        .get_result(&mut check)
        .unwrap();
    assert_eq!(row.title, "Name our blog");
}
