# PostgreSQL for the event ingestor's tests: Debian's postgresql-15 server, own data dir, password auth on loopback only,
# :5432 (or the next free port when that is taken).
# shellcheck shell=bash

POSTGRES_BIN=/usr/lib/postgresql/15/bin
POSTGRES_STATE="$TESTBED_DIR/postgres"
POSTGRES_DATA="$TESTBED_DIR/data/postgres"
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT="$(port_of POSTGRES 5432)"
POSTGRES_USER=falco_airgap
POSTGRES_DB=falco_airgap

# The server refuses to run as root; as root it runs as Debian's postgres account (setpriv execs, so the pid is the server's).
POSTGRES_AS_OWNER=()
if [[ $(id -u) -eq 0 ]]; then POSTGRES_AS_OWNER=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env --); fi
postgres_as_owner() { "${POSTGRES_AS_OWNER[@]}" "$@"; }

postgres_ready() { "$POSTGRES_BIN/pg_isready" -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -t 2; }

postgres_init() {
  [[ -s "$POSTGRES_DATA/PG_VERSION" ]] && return 0
  [[ -x "$POSTGRES_BIN/initdb" ]] || die "$POSTGRES_BIN/initdb not found: apt-get install postgresql"
  mkdir -p "$POSTGRES_STATE"
  [[ -s "$POSTGRES_STATE/password" ]] || random_secret > "$POSTGRES_STATE/password"
  rm -rf "$POSTGRES_DATA"
  mkdir -p "$POSTGRES_DATA"
  local pwfile="$POSTGRES_DATA.pwfile"
  install -m 0600 "$POSTGRES_STATE/password" "$pwfile"
  if [[ $(id -u) -eq 0 ]]; then
    getent passwd postgres > /dev/null || die "the postgres account does not exist: apt-get install postgresql"
    chown postgres:postgres "$POSTGRES_DATA" "$pwfile"
    postgres_as_owner test -x "$POSTGRES_DATA" || die "the postgres account cannot reach $POSTGRES_DATA; give every parent directory o+x or set FALCO_AIRGAP_TESTBED_DIR"
  fi
  # No local (socket) access at all: only password logins over TCP on loopback.
  postgres_as_owner "$POSTGRES_BIN/initdb" -D "$POSTGRES_DATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=reject --encoding=UTF8 --locale=C.UTF-8 > "$TESTBED_DIR/log/postgres-initdb.log" 2>&1 ||
    { rm -f "$pwfile"; tail -n 20 "$TESTBED_DIR/log/postgres-initdb.log" >&2; return 1; }
  rm -f "$pwfile"
  printf 'host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n' > "$POSTGRES_DATA/pg_hba.conf"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$POSTGRES_DATA/pg_hba.conf"; fi
}

# postgres_ensure_database: the tests' database, and the env file entries naming it.
postgres_ensure_database() {
  local password psql
  password="$(cat "$POSTGRES_STATE/password")"
  psql=("$POSTGRES_BIN/psql" -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAq)
  if [[ -z "$(PGPASSWORD="$password" "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'")" ]]; then
    PGPASSWORD="$password" "${psql[@]}" -c "CREATE DATABASE $POSTGRES_DB" || return 1
  fi
  env_set postgres TESTBED_POSTGRES_URL "postgres://$POSTGRES_USER:$password@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB"
  env_set postgres TESTBED_POSTGRES_BIN "$POSTGRES_BIN"
}

svc_postgres_up() {
  POSTGRES_PORT="$(port_claim postgres POSTGRES 5432 postgres)" || return 1
  if is_running postgres && postgres_ready; then postgres_ensure_database; return; fi
  postgres_init || return 1
  stop_daemon postgres
  # A server killed earlier leaves its pid file; the port check above shows no server owns it any more.
  rm -f "$POSTGRES_DATA/postmaster.pid"
  start_daemon postgres "${POSTGRES_AS_OWNER[@]}" "$POSTGRES_BIN/postgres" -D "$POSTGRES_DATA" \
    -c listen_addresses="$POSTGRES_HOST" -c port="$POSTGRES_PORT" -c unix_socket_directories= -c max_connections=200
  wait_until 60 "postgres $POSTGRES_HOST:$POSTGRES_PORT" postgres_ready || { tail -n 20 "$TESTBED_DIR/log/postgres.log" >&2; return 1; }
  postgres_ensure_database
}

svc_postgres_down() {
  local pf pid
  pf="$(pidfile postgres)"
  if [[ -f "$pf" ]] && pid="$(cat "$pf")" && pid_alive "$pid"; then
    # SIGINT is the fast shutdown: open client sessions are ended instead of waited for.
    kill -INT "$pid" 2> /dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" || break; sleep 0.2; done
  fi
  stop_daemon postgres
}

svc_postgres_status() {
  # Another server may answer on the usual port; only this testbed's own process counts.
  is_running postgres || { echo "postgresql://$POSTGRES_HOST:$POSTGRES_PORT: not started by this testbed ($TESTBED_DIR)"; return 1; }
  postgres_ready || { echo "postgresql://$POSTGRES_HOST:$POSTGRES_PORT does not answer"; return 1; }
  echo "postgresql://$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB (PostgreSQL $("$POSTGRES_BIN/postgres" --version | awk '{ print $3 }'), password auth)"
}
