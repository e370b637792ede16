#!/usr/bin/env bash
# Load script (not a test): ballot ingestion through the service beside pgbench
# running the equivalent plain upsert, then a results request on a contest with
# 1,000,000 ballots, cold and cached.
#
#   benches/load.sh                      # N=20000 ballots, C=32 concurrent voters
#   N=50000 C=64 BIG=1000000 benches/load.sh
#
# Needs: cargo, pgbench, psql, and a PostgreSQL that accepts
# `postgres://postgres@127.0.0.1:5432` (override with PGURL). Creates a fresh
# database `christen_load_<pid>` and drops it at the end. Loopback only.
set -euo pipefail

N=${N:-20000}
C=${C:-32}
BIG=${BIG:-1000000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18$((RANDOM % 900 + 100))}
DB="christen_load_$$"
SECRET="load-test-secret-$(date +%s)-0123456789abcdef0123456789"
TARGET=${CARGO_TARGET_DIR:-target}

cd "$(dirname "$0")/.."
echo "== building (release)"
cargo build --release --quiet --bin christen
cargo bench --bench load --no-run --quiet 2>/dev/null || cargo bench --bench load --no-run
GEN=$(ls -t "$TARGET"/release/deps/load-* | grep -v '\.d$' | head -1)

psql "$PGURL/postgres" -qc "CREATE DATABASE $DB" >/dev/null
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

export DATABASE_URL="$PGURL/$DB" CHRISTEN_SECRET="$SECRET" CHRISTEN_BIND="127.0.0.1:$PORT"
export CHRISTEN_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}
"$TARGET"/release/christen migrate >/dev/null
"$TARGET"/release/christen serve >/tmp/christen-load-$$.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
KEY=$("$TARGET"/release/christen org create --name "Load test" --json | jq -r .api_key)
ARGS=(url="http://127.0.0.1:$PORT" key="$KEY" secret="$SECRET" db="$DATABASE_URL")

echo "== casting $N ballots with $C concurrent voters through the service"
OUT=$("$GEN" mode=cast n="$N" c="$C" "${ARGS[@]}")
echo "$OUT" | grep -v '^contest='
CONTEST=$(echo "$OUT" | sed -n 's/^contest=//p')

# pgbench: the same number of one-statement upserts into the same table, same
# concurrency, in the same run. `plain` is the bare upsert; `service SQL` is the
# exact statement the service runs (phase check and FOR KEY SHARE included).
cat >/tmp/christen-plain-$$.sql <<'SQL'
\set v random(1, 2000000000)
INSERT INTO ballots (contest_id, voter_hash, ranking, receipt)
VALUES (CONTEST_ID, sha256(('pgb-' || :v || '-' || :client_id)::bytea), '{1,3,2}', md5(random()::text))
ON CONFLICT (contest_id, voter_hash) DO UPDATE
   SET ranking = EXCLUDED.ranking, receipt = EXCLUDED.receipt,
       revision = ballots.revision + 1, version = nextval('ballot_version_seq'), updated_at = now();
SQL
cat >/tmp/christen-service-$$.sql <<'SQL'
\set v random(1, 2000000000)
INSERT INTO ballots (contest_id, voter_hash, ranking, receipt)
SELECT c.id, sha256(('pgs-' || :v || '-' || :client_id)::bytea), '{1,3,2}', md5(random()::text)
  FROM contests c
 WHERE c.id = CONTEST_ID AND c.phase <> 'closed'
   AND (c.phase = 'voting' OR c.voting_open_at <= clock_timestamp())
   AND (c.voting_close_at IS NULL OR c.voting_close_at > clock_timestamp())
   FOR KEY SHARE OF c
ON CONFLICT (contest_id, voter_hash) DO UPDATE
   SET ranking = EXCLUDED.ranking, receipt = EXCLUDED.receipt,
       revision = CASE WHEN ballots.ranking IS NULL THEN 1 ELSE ballots.revision + 1 END,
       version = nextval('ballot_version_seq'), updated_at = now();
SQL
PER_CLIENT=$(( (N + C - 1) / C ))
SERVICE_RATE=$(echo "$OUT" | sed -n 's/.* \([0-9][0-9]*\) ballots\/s.*/\1/p' | head -1)
# `simple` is pgbench's default protocol (each statement parsed and planned
# anew); `prepared` prepares it once per client, as the service does.
for kind in plain service; do
  for mode in simple prepared; do
    # Simple mode substitutes variables as text (so the id is quoted);
    # prepared mode sends them as parameters (so it must not be).
    if [ "$mode" = simple ]; then QUOTED="':contest'"; else QUOTED=":contest"; fi
    sed "s/CONTEST_ID/$QUOTED/" /tmp/christen-$kind-$$.sql >/tmp/christen-run-$$.sql
    TPS=$(pgbench -n -M "$mode" -c "$C" -j 2 -t "$PER_CLIENT" -D contest="$CONTEST" \
            -f /tmp/christen-run-$$.sql "$DATABASE_URL" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    RATIO=$(awk -v s="$SERVICE_RATE" -v p="$TPS" 'BEGIN { if (p > 0) printf "%.2f", s / p; else print "?" }')
    echo "pgbench ($kind upsert, $mode): $((PER_CLIENT * C)) upserts, $C clients: ${TPS} upserts/s; service/pgbench = ${RATIO}"
  done
done
rm -f /tmp/christen-plain-$$.sql /tmp/christen-service-$$.sql /tmp/christen-run-$$.sql

echo "== results on a contest with $BIG ballots"
"$GEN" mode=big ballots="$BIG" "${ARGS[@]}"
rm -f /tmp/christen-load-$$.log
