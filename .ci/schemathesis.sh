#!/usr/bin/env bash
# Contract check of the running service against openapi.yaml.
#
# 1. validates openapi.yaml as OpenAPI 3.1 (openapi-spec-validator);
# 2. starts the real server (target/debug/christen serve) on a fresh database: a new
#    database on the PostgreSQL at 127.0.0.1:5432 when it lets user postgres in,
#    else the embedded cluster under a temporary data directory;
# 3. creates an organisation and API key (`christen org create --json`) and, with
#    curl, contests in each phase with suggestions, voters and ballots;
# 4. runs schemathesis against the live server's /openapi.yaml, twice: once with
#    generated ids (validation, 400/404 paths), once with the ids of the contests
#    above (real results, suggestions and ballots to check against the schemas),
#    with the checks below. Any failure fails the script.
#
# Python tools go into a virtualenv (default target/ci-venv; CHRISTEN_CI_VENV to
# change), installed from PyPI on first use at the pinned versions.
# Usage: .ci/schemathesis.sh   (after `cargo build` or `cargo test`; builds if needed)
# Knobs: ST_MAX_EXAMPLES (default 10), ST_MAX_TIME (seconds per pass, default 60),
# CHRISTEN_ST_EMBEDDED=1 (use the embedded cluster even when 5432 answers).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
max_examples=${ST_MAX_EXAMPLES:-10}
max_time=${ST_MAX_TIME:-60}
venv=${CHRISTEN_CI_VENV:-$repo/target/ci-venv}

say() { printf '\n--> %s\n' "$*"; }

# --- tools --------------------------------------------------------------------------
installed() { "$venv/bin/pip" show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }
if [ "$(installed schemathesis)" != "$SCHEMATHESIS_VERSION" ] ||
  [ "$(installed openapi-spec-validator)" != "$VALIDATOR_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $VALIDATOR_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION"
fi
"$venv/bin/st" --version

say "openapi-spec-validator openapi.yaml"
"$venv/bin/openapi-spec-validator" openapi.yaml

# The binary, as `cargo test` builds it (a no-op after `cargo test`).
cargo test --no-run --test openapi -q
bin="$repo/target/debug/christen"

# --- server ---------------------------------------------------------------------------
work=$(mktemp -d)
server_pid=""
db_name=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$db_name" ]; then
    psql -q -h 127.0.0.1 -p 5432 -U postgres -d postgres \
      -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "$rc" != 0 ] && [ -f "$work/server.log" ]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 40 "$work/server.log" >&2 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

export CHRISTEN_SECRET
CHRISTEN_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CHRISTEN_BIND="127.0.0.1:$port"
export CHRISTEN_LOG_FORMAT=text
export RUST_LOG="${RUST_LOG:-warn}"
api="http://127.0.0.1:$port"

if [ "${CHRISTEN_ST_EMBEDDED:-0}" != 1 ] && command -v psql >/dev/null 2>&1 &&
  psql -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  db_name="christen_schemathesis_$(date +%s)_$$"
  psql -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "CREATE DATABASE \"$db_name\"" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db_name"
  echo "database: $db_name on 127.0.0.1:5432"
else
  unset DATABASE_URL
  export CHRISTEN_DATA_DIR="$work/data"
  echo "database: the embedded cluster under $CHRISTEN_DATA_DIR"
fi

say "christen serve on $api"
"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
disown "$server_pid"  # no job notice when cleanup has to kill it
for i in $(seq 1 240); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/readyz")" = 200 ]; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: the server exited" >&2
    exit 1
  fi
  if [ "$i" = 240 ]; then
    echo "error: the server is not ready after 120 s" >&2
    exit 1
  fi
  sleep 0.5
done

# --- data -----------------------------------------------------------------------------
# One organisation per pass: a pass may revoke its own key (DELETE /v1/api-keys/…
# with an id it listed), which must not lock the other pass out.
new_key() {
  "$bin" org create --name "$1" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])'
}
key=$(new_key 'Schemathesis Library')
generated_key=$(new_key 'Schemathesis Generated')

# call METHOD PATH [JSON] [TOKEN]: the response body; fails unless 2xx.
call() {
  local method=$1 path=$2 body=${3:-} token=${4:-$key}
  local args=(-sS --fail-with-body -X "$method" "$api$path" -H "Authorization: Bearer $token")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' -d "$body"); fi
  curl "${args[@]}"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# A contest in the given phase, with three suggestions once past drafting, and
# ballots once past voting. Prints "contest_id voter_token suggestion_id".
contest() {
  local phase=$1 title=$2 method=$3 id voter s1 s2 s3
  id=$(call POST /v1/contests "{\"title\": \"$title\", \"method\": \"$method\", \"moderation\": \"post\", \"results_visibility\": \"live\"}" | field '["id"]')
  voter="" s1=""
  if [ "$phase" != draft ]; then
    call POST "/v1/contests/$id/phase" '{"to": "suggesting"}' >/dev/null
    voter=$(call POST "/v1/contests/$id/voters" "" "" | field '["token"]')
    s1=$(call POST "/v1/contests/$id/suggestions" '{"name": "Shelf Life", "note": "plain"}' "$voter" | field '["id"]')
    s2=$(call POST "/v1/contests/$id/suggestions" '{"name": "The Stacks"}' "$voter" | field '["id"]')
    s3=$(call POST "/v1/contests/$id/suggestions" '{"name": "Quiet Please"}' "$voter" | field '["id"]')
  fi
  if [ "$phase" = voting ] || [ "$phase" = closed ]; then
    call POST "/v1/contests/$id/phase" '{"to": "voting"}' >/dev/null
    call PUT "/v1/contests/$id/ballot" "{\"ranking\": [\"$s1\", \"$s2\"]}" "$voter" >/dev/null
    local other
    other=$(call POST "/v1/contests/$id/voters" "" "" | field '["token"]')
    call PUT "/v1/contests/$id/ballot" "{\"ranking\": [\"$s3\", \"$s1\", \"$s2\"]}" "$other" >/dev/null
  fi
  if [ "$phase" = closed ]; then
    call POST "/v1/contests/$id/phase" '{"to": "closed"}' >/dev/null
  fi
  echo "$id $voter $s1"
}

say "contests to test against"
read -r suggesting suggesting_voter suggestion < <(contest suggesting 'Name the reading room' irv)
read -r voting voting_voter _ < <(contest voting 'Name the blog' schulze)
read -r closed _ _ < <(contest closed 'Name the newsletter' irv)
read -r _ _ _ < <(contest draft 'Name the podcast' plurality)
call POST "/v1/contests/$voting/suggestions" '{"name": "Shelf Life"}' "$suggesting_voter" >/dev/null 2>&1 || true
call PUT /v1/allowed-origins '{"origins": ["https://library.example.org"]}' >/dev/null
echo "suggesting: $suggesting  voting: $voting  closed: $closed"

# --- schemathesis ---------------------------------------------------------------------
run() {
  local name=$1 config=$2 admin_key=$3
  say "schemathesis: $name"
  (
    cd "$work"
    timeout --kill-after=10 "$((max_time + 60))" \
      "$venv/bin/st" --config-file "$config" run "$api/openapi.yaml" \
      --checks "$CHECKS" \
      --header "Authorization: Bearer $admin_key" \
      --max-examples "$max_examples" \
      --max-time "$max_time" \
      --request-timeout 10 \
      --workers 1 \
      --seed 1 \
      --no-color
  )
}

# Shared settings: a live result stream is read for one event, never to its end;
# /oembed answers a format it does not offer with 501, as oEmbed says it must.
common='
max-stream-events = 1

[[operations]]
include-path = "/oembed"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "501"]
'

printf '%s\n' "$common" >"$work/generated-ids.toml"

# The same, with the contests made above in every {contest_id}; participant
# operations with a voter token of that contest. (Filters of one entry are
# alternatives; where several entries match, the first to set an option wins.)
cat >"$work/real-ids.toml" <<EOF
$common
[[operations]]
include-path-regex = "^/v1/contests/\\\\{contest_id\\\\}/ballot\$"
headers = { Authorization = "Bearer $voting_voter" }
parameters = { contest_id = "$voting" }

[[operations]]
include-name = "POST /v1/contests/{contest_id}/suggestions"
headers = { Authorization = "Bearer $suggesting_voter" }
parameters = { contest_id = "$suggesting" }

[[operations]]
include-path = "/v1/contests/{contest_id}/suggestions/{suggestion_id}"
parameters = { contest_id = "$suggesting", suggestion_id = "$suggestion" }

[[operations]]
include-path = "/oembed"
parameters = { url = "$api/embed/contests/$closed" }

[[operations]]
include-path-regex = "^/(v1/contests/\\\\{contest_id\\\\}/(results|ballots|results\\\\.svg|results/stream)|embed/contests/\\\\{contest_id\\\\})\$"
parameters = { contest_id = "$closed" }

[[operations]]
include-path-regex = "\\\\{contest_id\\\\}"
parameters = { contest_id = "$voting" }
EOF

run "generated ids" generated-ids.toml "$generated_key"
run "the ids of real contests" real-ids.toml "$key"
say "schemathesis: both passes clean"
