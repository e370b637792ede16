//! Group commit of ballot writes (`app::batcher`): concurrent casts,
//! replacements and withdrawals are written in batches, one transaction each,
//! and every request is answered as if the writes had run one after another.
//!
//! To put chosen requests into one batch, a test holds the contest row
//! `FOR UPDATE` from its own connection (as a close does): every writer that
//! takes a batch for that contest waits on the lock, and the requests sent
//! meanwhile queue up; releasing the lock lets the next free writer take them
//! all at once.

use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use christen::app::batcher::BatchOptions;
use christen::startup::{AppConfig, Application};
use chrono::{DateTime, FixedOffset};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp, VotingContest, TEST_SECRET};

fn ballot_path(id: &str) -> String {
    format!("/v1/contests/{id}/ballot")
}

/// Sessions of the test database waiting for a lock.
fn lock_waiters(app: &TestApp) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .get_result::<N>(&mut app.db.connect())
    .unwrap()
    .n
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `PUT …/ballot` on a thread; its status and body.
fn put_later(
    app: &Arc<TestApp>,
    contest: &str,
    token: &str,
    ranking: Vec<String>,
) -> JoinHandle<(u16, Value)> {
    let (app, contest, token) = (app.clone(), contest.to_owned(), token.to_owned());
    std::thread::spawn(move || {
        let res = app.put_ballot(&contest, &token, &ranking);
        let status = res.status().as_u16();
        (status, res.json().unwrap_or(Value::Null))
    })
}

/// The contest row locked `FOR UPDATE` by the test, and every writer of the
/// instance busy with a batch waiting for that lock: requests sent now queue.
struct Held {
    conn: PgConnection,
    blockers: Vec<JoinHandle<(u16, Value)>>,
}

fn hold_writers(app: &Arc<TestApp>, contest: &VotingContest) -> Held {
    let mut conn = app.db.connect();
    diesel::sql_query("BEGIN").execute(&mut conn).unwrap();
    diesel::sql_query("SELECT 1 FROM contests WHERE id = $1 FOR UPDATE")
        .bind::<SqlUuid, _>(contest.id.parse::<uuid::Uuid>().unwrap())
        .execute(&mut conn)
        .unwrap();
    let mut blockers = Vec::new();
    for n in 1..=BatchOptions::default().writers {
        let token = app.mint_voter_token(&contest.id);
        blockers.push(put_later(app, &contest.id, &token, contest.ids(&[0])));
        wait_until("a writer waits for the contest lock", || {
            lock_waiters(app) >= n as i64
        });
    }
    Held { conn, blockers }
}

impl Held {
    /// Releases the lock; the blockers' ballots are stored (201).
    fn release(mut self) {
        diesel::sql_query("COMMIT").execute(&mut self.conn).unwrap();
        for b in self.blockers {
            assert_eq!(b.join().unwrap().0, 201);
        }
    }
}

/// Lets requests sent on other threads reach the queue.
fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

/// The instance's batch-size histogram: `(le, cumulative count)`.
fn batch_sizes(app: &TestApp) -> Vec<(f64, u64)> {
    let text = app
        .public(Method::GET, "/metrics")
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("christen_ballot_batch_size_bucket{le=\""))
        .filter_map(|l| {
            let (le, rest) = l.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, rest.split_whitespace().next()?.parse().ok()?))
        })
        .collect()
}

/// Batches of at least `size` writes so far.
fn batches_of_at_least(app: &TestApp, size: f64) -> u64 {
    let buckets = batch_sizes(app);
    let total = buckets.last().map(|b| b.1).unwrap_or(0);
    let below = buckets
        .iter()
        .filter(|(le, _)| *le < size)
        .map(|b| b.1)
        .max()
        .unwrap_or(0);
    total - below
}

#[test]
fn one_voters_casts_in_one_batch_are_answered_as_sequential_writes() {
    let app = Arc::new(spawn_app());
    let c = app.voting_contest(json!({}), &["Alpha", "Beta", "Gamma"]);
    let fresh = app.mint_voter_token(&c.id);
    let known = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &known, &c.ids(&[2])).status(), 201);

    let held = hold_writers(&app, &c);
    let before = batches_of_at_least(&app, 4.0);
    // In arrival order: two casts by a voter without a ballot, two by a voter
    // with one.
    let mut sent = Vec::new();
    for (token, ranking) in [
        (&fresh, c.ids(&[0])),
        (&known, c.ids(&[1, 0])),
        (&fresh, c.ids(&[1, 2])),
        (&known, c.ids(&[2, 1, 0])),
    ] {
        sent.push(put_later(&app, &c.id, token, ranking));
        settle();
    }
    held.release();
    let answers: Vec<(u16, Value)> = sent.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        batches_of_at_least(&app, 4.0),
        before + 1,
        "the four casts were written as one batch"
    );

    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(
        statuses,
        vec![201, 200, 200, 200],
        "first cast new, the rest replace"
    );
    let receipts: HashSet<&str> = answers
        .iter()
        .map(|a| a.1["receipt"].as_str().unwrap())
        .collect();
    assert_eq!(receipts.len(), 4, "each cast its own receipt");
    assert_eq!(answers[0].1["ranking"], json!(c.ids(&[0])));
    // The later cast of each voter is the stored one.
    for (token, later) in [(&fresh, &answers[2].1), (&known, &answers[3].1)] {
        let own: Value = app
            .as_voter(token, Method::GET, &ballot_path(&c.id))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(&own, later);
    }
    assert_eq!(
        app.ballot_rows(&c.id),
        2 + BatchOptions::default().writers as i64
    );

    // Afterwards the voter goes on as usual: a replacement, a withdrawal, a
    // new ballot.
    assert_eq!(app.put_ballot(&c.id, &fresh, &c.ids(&[2])).status(), 200);
    let res = app
        .as_voter(&fresh, Method::DELETE, &ballot_path(&c.id))
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.put_ballot(&c.id, &fresh, &c.ids(&[2])).status(), 201);
}

#[test]
fn a_refused_ballot_never_fails_the_others_of_its_batch() {
    let app = Arc::new(spawn_app());
    let c = app.voting_contest(json!({}), &["Alpha", "Beta"]);
    let other = app.voting_contest(json!({}), &["Gamma", "Delta"]);
    let held = hold_writers(&app, &c);

    let good: Vec<_> = (0..5)
        .map(|i| {
            let token = app.mint_voter_token(&c.id);
            put_later(&app, &c.id, &token, c.ids(&[i % 2]))
        })
        .collect();
    // Not a candidate: refused before it is queued.
    let bad_token = app.mint_voter_token(&c.id);
    let bad = put_later(
        &app,
        &c.id,
        &bad_token,
        vec![uuid::Uuid::new_v4().to_string()],
    );
    // Queued for a contest that is closed before its batch is written.
    let late: Vec<_> = (0..2)
        .map(|_| {
            let token = app.mint_voter_token(&other.id);
            put_later(&app, &other.id, &token, other.ids(&[1]))
        })
        .collect();
    // A withdrawal by a voter without a ballot, in the same batch.
    let nobody = app.mint_voter_token(&c.id);
    let withdrawal = {
        let (app, id) = (app.clone(), c.id.clone());
        std::thread::spawn(move || {
            app.as_voter(&nobody, Method::DELETE, &ballot_path(&id))
                .send()
                .unwrap()
        })
    };
    settle();
    let (status, body) = bad.join().unwrap();
    assert_eq!(status, 422, "{body}");
    app.move_phase(&other.id, "closed");
    let before = batches_of_at_least(&app, 8.0);
    held.release();

    for g in good {
        assert_eq!(g.join().unwrap().0, 201);
    }
    for l in late {
        let (status, body) = l.join().unwrap();
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "wrong_phase");
    }
    assert_problem(withdrawal.join().unwrap(), 404, "not_found");
    assert_eq!(
        batches_of_at_least(&app, 8.0),
        before + 1,
        "one batch held the 5 casts, the 2 late ones and the withdrawal"
    );
    assert_eq!(
        app.ballot_rows(&c.id),
        5 + BatchOptions::default().writers as i64
    );
    assert_eq!(app.ballot_rows(&other.id), 0);
}

#[test]
fn a_database_error_fails_only_the_requests_of_its_batch_with_503() {
    let app = Arc::new(spawn_app());
    let c = app.voting_contest(json!({}), &["Alpha", "Beta", "Gamma"]);
    // The database refuses one particular ranking (as a failing disk or a
    // broken constraint would refuse a write).
    let mut conn = app.db.connect();
    diesel::sql_query(
        "CREATE FUNCTION refuse_ballot() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.ranking = '{3,2,1}' THEN RAISE EXCEPTION 'refused for the test'; END IF;
           RETURN NEW;
         END $$",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "CREATE TRIGGER refuse_ballot BEFORE INSERT OR UPDATE ON ballots
         FOR EACH ROW EXECUTE FUNCTION refuse_ballot()",
    )
    .execute(&mut conn)
    .unwrap();

    let held = hold_writers(&app, &c);
    let doomed: Vec<_> = (0..4)
        .map(|i| {
            let token = app.mint_voter_token(&c.id);
            let ranking = if i == 2 {
                c.ids(&[2, 1, 0])
            } else {
                c.ids(&[0])
            };
            put_later(&app, &c.id, &token, ranking)
        })
        .collect();
    settle();
    held.release();
    for d in doomed {
        let (status, body) = d.join().unwrap();
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["code"], "service_unavailable");
    }
    let writers = BatchOptions::default().writers as i64;
    assert_eq!(app.ballot_rows(&c.id), writers, "nothing of the batch");

    // The next batches are written as usual.
    let token = app.mint_voter_token(&c.id);
    assert_eq!(app.put_ballot(&c.id, &token, &c.ids(&[1])).status(), 201);
    assert_eq!(app.ballot_rows(&c.id), writers + 1);
}

/// `GET …/ballots?format=csv` as the admin: `receipt → ranking` (candidate
/// positions, first preference first).
fn exported(app: &TestApp, contest: &VotingContest) -> HashMap<String, Vec<usize>> {
    let res = app.export(&contest.id, true, "csv");
    assert_eq!(res.status(), 200);
    let text = res.text().unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let mut cells = line.split(',');
            let receipt = cells.next().unwrap().to_owned();
            let mut ranks: Vec<(usize, usize)> = cells
                .enumerate()
                .filter(|(_, r)| !r.is_empty())
                .map(|(candidate, r)| (r.parse().unwrap(), candidate))
                .collect();
            ranks.sort();
            (receipt, ranks.into_iter().map(|(_, c)| c).collect())
        })
        .collect()
}

#[test]
fn a_close_waits_for_batches_in_flight_and_counts_every_acknowledged_ballot() {
    let app = Arc::new(spawn_app());
    let c = Arc::new(app.voting_contest(json!({}), &["Alpha", "Beta", "Gamma"]));
    let voters = 24;
    let barrier = Arc::new(Barrier::new(voters + 1));
    let handles: Vec<_> = (0..voters)
        .map(|v| {
            let (app, c, barrier) = (app.clone(), c.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                barrier.wait();
                for i in 0.. {
                    let token = app.mint_voter_token(&c.id);
                    let ranking = vec![(v + i) % 3, (v + i + 1) % 3];
                    let res = app.put_ballot(&c.id, &token, &c.ids(&ranking));
                    match res.status().as_u16() {
                        201 => {
                            let body: Value = res.json().unwrap();
                            acknowledged
                                .push((body["receipt"].as_str().unwrap().to_owned(), ranking));
                        }
                        409 => {
                            let body: Value = res.json().unwrap();
                            assert_eq!(body["code"], "wrong_phase", "{body}");
                            break;
                        }
                        other => panic!("unexpected {other}: {:?}", res.text()),
                    }
                }
                acknowledged
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(Duration::from_millis(400));
    app.move_phase(&c.id, "closed");
    let acknowledged: HashMap<String, Vec<usize>> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(acknowledged.len() > voters, "the race had some ballots");
    assert!(
        batches_of_at_least(&app, 2.0) > 0,
        "some ballots were written in batches"
    );

    let result: Value = app.results(&c.id, true, "").json().unwrap();
    assert_eq!(result["final"], true);
    assert_eq!(result["ballots_counted"], acknowledged.len() as u64);
    assert_eq!(exported(&app, &c), acknowledged);
}

/// One acknowledged write of the property test.
#[derive(Debug, Clone)]
struct Acked {
    voter: usize,
    /// The ranking cast (candidate positions), or `None` for a withdrawal.
    ranking: Option<Vec<usize>>,
    status: u16,
    receipt: Option<String>,
    updated_at: Option<DateTime<FixedOffset>>,
}

#[test]
fn random_concurrent_writes_end_as_their_sequential_replay_in_commit_order() {
    let seed: u64 = std::env::var("GROUP_COMMIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("GROUP_COMMIT_SEED={seed}");
    let app = Arc::new(spawn_app());
    let c = Arc::new(app.voting_contest(json!({}), &["A", "B", "C", "D"]));
    let voters: Arc<Vec<String>> = Arc::new((0..12).map(|_| app.mint_voter_token(&c.id)).collect());
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (app, c, voters, barrier) =
                (app.clone(), c.clone(), voters.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ (t as u64) << 8);
                let mut done = Vec::new();
                barrier.wait();
                for _ in 0..30 {
                    let voter = rng.gen_range(0..voters.len());
                    let token = &voters[voter];
                    if rng.gen_range(0..5) == 0 {
                        let res = app
                            .as_voter(token, Method::DELETE, &ballot_path(&c.id))
                            .send()
                            .unwrap();
                        let status = res.status().as_u16();
                        assert!(status == 204 || status == 404, "{status}");
                        done.push(Acked {
                            voter,
                            ranking: None,
                            status,
                            receipt: None,
                            updated_at: None,
                        });
                    } else {
                        let mut ranking: Vec<usize> = (0..4).collect();
                        for i in (1..4).rev() {
                            ranking.swap(i, rng.gen_range(0..=i));
                        }
                        ranking.truncate(rng.gen_range(1..=4));
                        let res = app.put_ballot(&c.id, token, &c.ids(&ranking));
                        let status = res.status().as_u16();
                        assert!(status == 200 || status == 201, "{status}");
                        let body: Value = res.json().unwrap();
                        done.push(Acked {
                            voter,
                            ranking: Some(ranking),
                            status,
                            receipt: Some(body["receipt"].as_str().unwrap().to_owned()),
                            updated_at: Some(
                                DateTime::parse_from_rfc3339(body["updated_at"].as_str().unwrap())
                                    .unwrap(),
                            ),
                        });
                    }
                }
                done
            })
        })
        .collect();
    let acked: Vec<Acked> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        batches_of_at_least(&app, 2.0) > 0,
        "some writes shared a batch"
    );
    app.move_phase(&c.id, "closed");
    let export = exported(&app, &c);

    let mut expected: HashMap<String, Vec<usize>> = HashMap::new();
    for voter in 0..voters.len() {
        let mine: Vec<&Acked> = acked.iter().filter(|a| a.voter == voter).collect();
        let casts: Vec<&Acked> = mine
            .iter()
            .copied()
            .filter(|a| a.ranking.is_some())
            .collect();
        let withdrawn = mine.iter().filter(|a| a.status == 204).count();
        // The stored ballot is the one of the voter's last cast in commit order
        // (casts collapsed into one batch share one `updated_at`; the export
        // says which of them came last), unless a withdrawal came after it.
        let stored: Vec<(&String, &Vec<usize>)> = export
            .iter()
            .filter(|(r, _)| casts.iter().any(|a| a.receipt.as_ref() == Some(*r)))
            .collect();
        assert!(stored.len() <= 1, "voter {voter}: one ballot at most");
        let last_at = casts.iter().filter_map(|a| a.updated_at).max();
        if let Some((receipt, ranking)) = stored.first() {
            let cast = casts
                .iter()
                .find(|a| a.receipt.as_ref() == Some(*receipt))
                .unwrap();
            assert_eq!(Some(*ranking), cast.ranking.as_ref(), "voter {voter}");
            assert_eq!(
                cast.updated_at, last_at,
                "voter {voter}: the last cast is stored"
            );
            expected.insert((*receipt).clone(), (*ranking).clone());
        }
        // Replay in commit order: sequential writes alternate between having a
        // ballot and not; every 201 starts a ballot, every 204 ends one.
        let created = casts.iter().filter(|a| a.status == 201).count();
        let has_ballot = stored.len();
        assert_eq!(
            created,
            withdrawn + has_ballot,
            "voter {voter}: each new ballot (201) was later withdrawn (204) or is stored: {mine:?}"
        );
        // Within one batch (one updated_at), at most the first cast is new.
        let mut by_batch: HashMap<DateTime<FixedOffset>, (usize, usize)> = HashMap::new();
        for a in &casts {
            let e = by_batch.entry(a.updated_at.unwrap()).or_default();
            e.0 += 1;
            e.1 += usize::from(a.status == 201);
        }
        for (at, (n, new)) in by_batch {
            assert!(
                new <= 1,
                "voter {voter}: {new} of {n} casts at {at} were new"
            );
        }
        // The voter had no ballot before: their first cast in commit order is
        // new (alone in its batch's first place).
        let first_at = casts.iter().filter_map(|a| a.updated_at).min();
        if let Some(at) = first_at {
            assert!(
                casts
                    .iter()
                    .any(|a| a.updated_at == Some(at) && a.status == 201),
                "voter {voter}: the first ballot is new: {mine:?}"
            );
        }
    }
    assert_eq!(export, expected, "the export is the replay's final ballots");
}

/// A second instance of the service on `app`'s database that the test stops
/// gracefully; `stopped` receives once it returned (its batcher drained).
fn graceful_instance(app: &TestApp) -> (String, actix_web::dev::ServerHandle, mpsc::Receiver<()>) {
    let config = AppConfig {
        database_url: christen::config::Secret::new(app.db.url.clone()),
        database_read_url: None,
        bind: "127.0.0.1:0".into(),
        secret: christen::config::Secret::new(TEST_SECRET),
        pool: christen::db::PoolOptions {
            max_size: 6,
            connection_timeout: Duration::from_millis(1500),
        },
        max_body_bytes: 64 * 1024,
        max_streams: christen::api::stream::DEFAULT_MAX_STREAMS,
        open_voter_limit: Default::default(),
        shutdown_timeout: Duration::from_secs(10),
        http: Default::default(),
        webhooks: Default::default(),
    };
    let (started, on_start) = mpsc::channel();
    let (stopped, on_stop) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = Application::build(config).expect("building the instance");
            started
                .send((server.port(), server.handle()))
                .expect("test waits");
            let _ = server.run_until_stopped().await;
            let _ = stopped.send(());
        })
    });
    let (port, handle) = on_start.recv().unwrap();
    (format!("http://127.0.0.1:{port}"), handle, on_stop)
}

#[test]
fn a_graceful_stop_mid_load_keeps_every_acknowledged_ballot() {
    let app = Arc::new(spawn_app());
    let c = Arc::new(app.voting_contest(json!({}), &["Alpha", "Beta"]));
    let (address, handle, stopped) = graceful_instance(&app);
    let address = Arc::new(address);
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (app, c, address) = (app.clone(), c.clone(), address.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                let mut acknowledged = Vec::new();
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(3) {
                    let token = app.mint_voter_token(&c.id);
                    let res = client
                        .put(format!("{address}{}", ballot_path(&c.id)))
                        .bearer_auth(token)
                        .json(&json!({ "ranking": c.ids(&[1, 0]) }))
                        .send();
                    match res {
                        Ok(r) if r.status() == 201 => {
                            let body: Value = r.json().unwrap();
                            acknowledged.push(body["receipt"].as_str().unwrap().to_owned());
                        }
                        // Refused while stopping, or the connection closed:
                        // not acknowledged.
                        Ok(r) => assert!(r.status() == 503, "unexpected {}", r.status()),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    actix_web::rt::System::new().block_on(handle.stop(true));
    stopped
        .recv_timeout(Duration::from_secs(20))
        .expect("the instance stopped and drained");
    let acknowledged: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        !acknowledged.is_empty(),
        "ballots were cast before the stop"
    );

    #[derive(QueryableByName)]
    struct Receipt {
        #[diesel(sql_type = Text)]
        receipt: String,
    }
    let stored: HashSet<String> = diesel::sql_query(
        "SELECT receipt FROM ballots WHERE contest_id = $1 AND receipt IS NOT NULL",
    )
    .bind::<SqlUuid, _>(c.id.parse::<uuid::Uuid>().unwrap())
    .load::<Receipt>(&mut app.db.connect())
    .unwrap()
    .into_iter()
    .map(|r| r.receipt)
    .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|r| !stored.contains(*r))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}
