#!/usr/bin/env bash
# Load script (not a test): ballot ingestion through the service beside pgbench
# running the equivalent plain upsert, then a results request on a contest with
# 1,000,000 ballots, cold and cached.
#
#   benches/load.sh                      # N=20000 ballots, at 32 then 256 concurrent voters
#   N=50000 CS="32 64 256" BIG=0 benches/load.sh
#   BUILD=0 BIN=/tmp/christen-before benches/load.sh   # another build of the service
#
# For each concurrency C it prints the service's rate and latency, pgbench's
# one-row upsert (plain and the service's own statement, simple and prepared
# protocol) on the same table in the same run, the ratios, and the service's
# ballot batch sizes (from /metrics, group commit). pgbench opens one
# connection per client, so it runs with min(C, PGBENCH_MAX_CLIENTS=64)
# clients (PostgreSQL's max_connections is 100 here); its best rate on two
# cores is at a few dozen clients anyway. BIG=0 skips the results part.
#
# Needs: cargo, pgbench, psql, and a PostgreSQL that accepts
# `postgres://postgres@127.0.0.1:5432` (override with PGURL). Creates a fresh
# database `christen_load_<pid>` and drops it at the end. Loopback only.
set -euo pipefail

N=${N:-20000}
CS=${CS:-${C:-32 256}}
BIG=${BIG:-1000000}
BUILD=${BUILD:-1}
PGBENCH_MAX_CLIENTS=${PGBENCH_MAX_CLIENTS:-64}
# Percent of the service's casts that replace an earlier voter's ballot
# (pgbench's upserts are new voters, so 0 compares like with like).
REPLACE=${REPLACE:-0}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18$((RANDOM % 900 + 100))}
DB="christen_load_$$"
SECRET="load-test-secret-$(date +%s)-0123456789abcdef0123456789"
TARGET=${CARGO_TARGET_DIR:-target}

cd "$(dirname "$0")/.."
if [ "$BUILD" = 1 ]; then
  echo "== building (release)"
  cargo build --release --quiet --bin christen
  cargo bench --bench load --no-run --quiet 2>/dev/null || cargo bench --bench load --no-run
fi
BIN=${BIN:-$TARGET/release/christen}
GEN=${GEN:-$(ls -t "$TARGET"/release/deps/load-* | grep -v '\.d$' | head -1)}
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

psql "$PGURL/postgres" -qc "CREATE DATABASE $DB" >/dev/null
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f /tmp/christen-load-$$.log
}
trap cleanup EXIT

export DATABASE_URL="$PGURL/$DB" CHRISTEN_SECRET="$SECRET" CHRISTEN_BIND="127.0.0.1:$PORT"
export CHRISTEN_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}
"$BIN" migrate >/dev/null
"$BIN" serve >/tmp/christen-load-$$.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.1
done
KEY=$("$BIN" org create --name "Load test" --json | jq -r .api_key)
ARGS=(url="http://127.0.0.1:$PORT" key="$KEY" secret="$SECRET" db="$DATABASE_URL")

# pgbench: the same number of one-statement upserts into the same table, in
# the same run. `plain` is the bare upsert; `service SQL` is the statement the
# service ran for one ballot before group commit (phase check and FOR KEY
# SHARE included).
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

# The batch-size histogram's cumulative buckets, as `le count` lines.
batch_buckets() {
  curl -fs "http://127.0.0.1:$PORT/metrics" | sed -n 's/^christen_ballot_batch_size_bucket{le="\([^"]*\)"} \([0-9]*\).*/\1 \2/p'
}

SUMMARY=()
for C in $CS; do
  echo "== C=$C: casting $N ballots with $C concurrent voters through the service (load $(cut -d' ' -f1 /proc/loadavg))"
  BEFORE=$(batch_buckets || true)
  OUT=$("$GEN" mode=cast n="$N" c="$C" replace="$REPLACE" "${ARGS[@]}")
  AFTER=$(batch_buckets || true)
  echo "$OUT" | grep -v '^contest='
  CONTEST=$(echo "$OUT" | sed -n 's/^contest=//p')
  SERVICE_RATE=$(echo "$OUT" | sed -n 's/.*: \([0-9][0-9]*\) ballots\/s.*/\1/p' | head -1)
  P50=$(echo "$OUT" | sed -n 's/.* p50 \([0-9.]*\) .*/\1/p' | head -1)
  P99=$(echo "$OUT" | sed -n 's/.* p99 \([0-9.]*\) .*/\1/p' | head -1)
  ERRS=$(echo "$OUT" | sed -n 's/.*errors \(.*\)$/\1/p' | head -1)
  if [ -n "$AFTER" ]; then
    # This run's batches per bucket: the cumulative counts after minus
    # before, then each bucket minus the one below it.
    paste -d' ' <(echo "$BEFORE") <(echo "$AFTER") | awk '
      { d = $4 - $2; n = d - prev; prev = d; if (n > 0) line = line sprintf(" <=%s:%d", $1, n) }
      END { printf "service batches (size <= bucket: count):%s; %d batches\n", line, prev }'
  fi
  PGC=$(( C < PGBENCH_MAX_CLIENTS ? C : PGBENCH_MAX_CLIENTS ))
  PER_CLIENT=$(( (N + PGC - 1) / PGC ))
  ROW="C=$C: service ${SERVICE_RATE}/s (p50 ${P50} ms, p99 ${P99} ms, errors ${ERRS})"
  # `simple` is pgbench's default protocol (each statement parsed and planned
  # anew); `prepared` prepares it once per client.
  for kind in plain service; do
    for mode in simple prepared; do
      # Simple mode substitutes variables as text (so the id is quoted);
      # prepared mode sends them as parameters (so it must not be).
      if [ "$mode" = simple ]; then QUOTED="':contest'"; else QUOTED=":contest"; fi
      sed "s/CONTEST_ID/$QUOTED/" /tmp/christen-$kind-$$.sql >/tmp/christen-run-$$.sql
      TPS=$(pgbench -n -M "$mode" -c "$PGC" -j 2 -t "$PER_CLIENT" -D contest="$CONTEST" \
              -f /tmp/christen-run-$$.sql "$DATABASE_URL" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
      RATIO=$(awk -v s="$SERVICE_RATE" -v p="$TPS" 'BEGIN { if (p > 0) printf "%.2f", s / p; else print "?" }')
      echo "pgbench ($kind upsert, $mode): $((PER_CLIENT * PGC)) upserts, $PGC clients: ${TPS%.*} upserts/s; service/pgbench = ${RATIO}"
      if [ "$kind" = plain ]; then ROW="$ROW; pgbench $mode ${TPS%.*}/s (${RATIO}x)"; fi
    done
  done
  SUMMARY+=("$ROW")
done
rm -f /tmp/christen-plain-$$.sql /tmp/christen-service-$$.sql /tmp/christen-run-$$.sql
echo "== summary (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${SUMMARY[@]}"

if [ "$BIG" = 0 ]; then exit 0; fi
echo "== results on a contest with $BIG ballots"
"$GEN" mode=big ballots="$BIG" "${ARGS[@]}"
