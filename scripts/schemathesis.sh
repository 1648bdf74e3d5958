#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis against a freshly started dev server.
#
# Usage: scripts/schemathesis.sh sqlite|postgres [EXTRA_SCHEMATHESIS_ARGS...]
#
# Starts `comark serve --demo` on a free loopback port with a temporary data
# directory (and, for postgres, a fresh database that is dropped at exit),
# signs in as the demo owner, and runs schemathesis on /api/v1/openapi.json
# with the checks not_a_server_error and response_schema_conformance, in every
# phase (stateful included), with NUL and other control characters in strings
# and the demo's organizations in paths (scripts/schemathesis.toml).
#
# Environment (all optional):
#   COMARK_BIN                     server binary (default target/debug/comark,
#                                  or $CARGO_TARGET_DIR/debug/comark)
#   SCHEMATHESIS                   schemathesis executable
#                                  (default .venv/bin/schemathesis)
#   SCHEMATHESIS_MAX_EXAMPLES      test cases per operation (default 25)
#   SCHEMATHESIS_SEED              random seed (default 20240601)
#   SCHEMATHESIS_EXCLUDE_PATH_REGEX  operations not to call (default
#                                  'auth/sign-out', which would revoke the token)
#   PGHOST, PGPORT, PGUSER         PostgreSQL server for the postgres backend
#                                  (default 127.0.0.1, 5432, postgres)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
    printf 'schemathesis.sh: ERROR: %s\n' "$*" >&2
    exit 1
}

BACKEND="${1:-}"
case "$BACKEND" in
    sqlite | postgres) shift ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac

BIN="${COMARK_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/comark}"
[ -x "$BIN" ] || die "server binary $BIN not found: run 'cargo build -p comark-cli' (or set COMARK_BIN)"

SCHEMATHESIS="${SCHEMATHESIS:-$ROOT/.venv/bin/schemathesis}"
if [ ! -x "$SCHEMATHESIS" ]; then
    SCHEMATHESIS="$(command -v schemathesis || true)"
    [ -n "$SCHEMATHESIS" ] ||
        die "schemathesis not found: run scripts/test once, or: python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-test.txt"
fi

MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
SEED="${SCHEMATHESIS_SEED:-20240601}"
EXCLUDE_PATH_REGEX="${SCHEMATHESIS_EXCLUDE_PATH_REGEX:-auth/sign-out}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
PG_USER="${PGUSER:-postgres}"

ARTIFACTS="$ROOT/test-artifacts"
mkdir -p "$ARTIFACTS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/comark-schemathesis.XXXXXX")"
DATA_DIR="$WORK/data"
SERVER_LOG="$WORK/server.log"
mkdir -p "$DATA_DIR"
SERVER_PID=""
DB_NAME=""

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"
}

print_server_log() {
    if [ -s "$SERVER_LOG" ]; then
        echo "---- server log (last 200 lines of $SERVER_LOG) ----" >&2
        tail -n 200 "$SERVER_LOG" >&2
        echo "---- end of server log ----" >&2
    else
        echo "(the server wrote no log)" >&2
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server did not stop on SIGTERM within 10s; killing it" >&2
            kill -9 "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$DB_NAME" ]; then
        psql_admin -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" ||
            echo "warning: could not drop database $DB_NAME" >&2
    fi
    if [ "$rc" -ne 0 ]; then
        cp "$SERVER_LOG" "$ARTIFACTS/schemathesis-$BACKEND-server.log" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"

SERVE_ARGS=(serve --listen "127.0.0.1:$PORT" --data-dir "$DATA_DIR" --demo)
if [ "$BACKEND" = postgres ]; then
    DB_NAME="comark_schemathesis_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
    echo "creating database $DB_NAME on $PG_HOST:$PG_PORT"
    psql_admin -c "CREATE DATABASE $DB_NAME" || {
        DB_NAME=""
        die "could not create the database on $PG_HOST:$PG_PORT"
    }
    SERVE_ARGS+=(--database-url "postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME")
fi

echo "\$ $BIN ${SERVE_ARGS[*]}"
"$BIN" "${SERVE_ARGS[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

echo "waiting for $BASE/readyz"
ready=0
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        server_rc=0
        wait "$SERVER_PID" || server_rc=$?
        SERVER_PID=""
        print_server_log
        die "the server exited (status $server_rc) before it became ready"
    fi
    if curl -fsS -o /dev/null --max-time 2 "$BASE/readyz" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.5
done
if [ "$ready" -ne 1 ]; then
    print_server_log
    die "the server did not answer $BASE/readyz within 60s"
fi
echo "server ready on $BASE ($BACKEND)"

SIGN_IN_BODY="$WORK/sign-in.json"
status="$(curl -sS -o "$SIGN_IN_BODY" -w '%{http_code}' --max-time 30 \
    -X POST "$BASE/api/v1/auth/sign-in" \
    -H 'content-type: application/json' \
    -d '{"email":"owner@northwind.example","password":"comark-demo-password"}')" ||
    status="curl failed"
if [ "${status:0:1}" != 2 ]; then
    echo "sign-in answered: $status" >&2
    cat "$SIGN_IN_BODY" >&2 2>/dev/null || true
    echo >&2
    print_server_log
    die "could not sign in as the demo owner"
fi
TOKEN="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <"$SIGN_IN_BODY")" || {
    cat "$SIGN_IN_BODY" >&2
    echo >&2
    die "sign-in response has no string field 'token'"
}
[ -n "$TOKEN" ] || die "sign-in returned an empty token"

ST_ARGS=(
    --config-file "$ROOT/scripts/schemathesis.toml"
    run "$BASE/api/v1/openapi.json"
    --checks "not_a_server_error,response_schema_conformance"
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --header "Authorization: Bearer $TOKEN"
    --exclude-path-regex "$EXCLUDE_PATH_REGEX"
    --workers 1
    --request-timeout 30
    --generation-database none
    --report junit
    --report-junit-path "$ARTIFACTS/schemathesis-$BACKEND.junit.xml"
)
if [ ! -t 1 ]; then
    ST_ARGS+=(--no-color)
fi
ST_ARGS+=("$@")

echo "\$ $SCHEMATHESIS run $BASE/api/v1/openapi.json ... (seed $SEED, $MAX_EXAMPLES examples, excluding '$EXCLUDE_PATH_REGEX')"
# Run from the scratch directory: schemathesis leaves .hypothesis/ and
# .schemathesis/ in its working directory.
st_rc=0
(cd "$WORK" && "$SCHEMATHESIS" "${ST_ARGS[@]}") || st_rc=$?
if [ "$st_rc" -ne 0 ]; then
    print_server_log
    die "schemathesis failed on $BACKEND (exit $st_rc)"
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    print_server_log
    die "the server died during the run"
fi
echo "schemathesis passed on $BACKEND"
