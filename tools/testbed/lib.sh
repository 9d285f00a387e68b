# Shared helpers for tools/testbed services. Sourced, never executed.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTBED_DIR="${FALCO_AIRGAP_TESTBED_DIR:-$REPO_ROOT/.testbed}"
TESTBED_CACHE="${FALCO_AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/falco-airgap}"
TESTBED_ENV_FILE="$TESTBED_DIR/testbed.env"
mkdir -p "$TESTBED_DIR/run" "$TESTBED_DIR/log" "$TESTBED_DIR/data" "$TESTBED_DIR/env.d" "$TESTBED_CACHE"

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }

# env_set SERVICE KEY VALUE: record an endpoint/credential for tests and the CLI.
env_set() {
  local file="$TESTBED_DIR/env.d/$1.env"
  touch "$file"
  grep -v "^$2=" "$file" > "$file.tmp" || true
  printf '%s=%s\n' "$2" "$3" >> "$file.tmp"
  mv "$file.tmp" "$file"
}
env_clear() { rm -f "$TESTBED_DIR/env.d/$1.env"; }
env_write() {
  local tmp="$TESTBED_ENV_FILE.tmp"
  {
    echo "# written by tools/testbed; source it or let the test setup read it"
    echo "TESTBED_DIR=$TESTBED_DIR"
    cat "$TESTBED_DIR"/env.d/*.env 2>/dev/null || true
  } > "$tmp"
  mv "$tmp" "$TESTBED_ENV_FILE"
}

# Ports. Every endpoint a service listens on has a KEY (REGISTRY_PLAIN, S3, KUBE_APISERVER, ...). `up` claims it: the
# port this testbed recorded before, else the usual one, else the next free one above it; FALCO_AIRGAP_<KEY>_PORT
# pins it. The choice is kept as TESTBED_PORT_<KEY> in the env file, where status, tests and the CLI find it.

port_listening() { [[ -n "$(ss -Hltn "sport = :$1")" ]]; }

# port_recorded KEY: the port an earlier up of this testbed chose for KEY; empty if none.
port_recorded() { cat "$TESTBED_DIR"/env.d/*.env 2> /dev/null | sed -n "s/^TESTBED_PORT_$1=//p" | tail -n 1; }

# port_of KEY USUAL: the port KEY uses in this testbed: pinned, recorded, or the usual one.
port_of() {
  local pinned="FALCO_AIRGAP_$1_PORT"
  if [[ -n "${!pinned:-}" ]]; then echo "${!pinned}"; return 0; fi
  local recorded
  recorded="$(port_recorded "$1")"
  echo "${recorded:-$2}"
}

# port_reserved KEY PORT: another endpoint of this testbed has PORT recorded.
port_reserved() { cat "$TESTBED_DIR"/env.d/*.env 2> /dev/null | grep -v "^TESTBED_PORT_$1=" | grep -qx "TESTBED_PORT_[A-Z0-9_]*=$2"; }

# port_claim SERVICE KEY USUAL [DAEMON...]: prints the port KEY listens on after this up and records it.
# A port held by one of DAEMONs (this testbed's own processes) is kept; any other listener moves KEY to a free port.
port_claim() {
  local service="$1" key="$2" usual="$3" pinned="FALCO_AIRGAP_$2_PORT" port candidate daemon
  shift 3
  port="$(port_of "$key" "$usual")"
  for daemon in "$@"; do
    if is_running "$daemon"; then
      env_set "$service" "TESTBED_PORT_$key" "$port"
      echo "$port"
      return 0
    fi
  done
  if [[ -n "${!pinned:-}" ]]; then
    ! port_listening "$port" || die "port $port, pinned by $pinned, is already taken; free it or unset $pinned"
  elif port_listening "$port" || port_reserved "$key" "$port"; then
    for ((candidate = usual + 1; candidate < usual + 200; candidate++)); do
      port_listening "$candidate" || port_reserved "$key" "$candidate" || break
    done
    ((candidate < usual + 200)) || die "no free port for $key in $usual-$((usual + 199))"
    log "$key: port $port is taken, using $candidate"
    port=$candidate
  fi
  env_set "$service" "TESTBED_PORT_$key" "$port"
  echo "$port"
}

# ports_summary: KEY=PORT of every endpoint this testbed recorded, on one line.
ports_summary() { cat "$TESTBED_DIR"/env.d/*.env 2> /dev/null | sed -n 's/^TESTBED_PORT_//p' | sort | paste -sd ' '; }

pidfile() { echo "$TESTBED_DIR/run/$1.pid"; }
# pid_alive PID: a zombie counts as gone; daemons are reparented to init, which may reap them late.
pid_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}
is_running() {
  local pf; pf="$(pidfile "$1")"
  [[ -f "$pf" ]] && pid_alive "$(cat "$pf")"
}

# start_daemon NAME CMD...: start CMD in its own session, log to log/NAME.log.
start_daemon() {
  local name="$1"; shift
  if is_running "$name"; then return 0; fi
  setsid "$@" >> "$TESTBED_DIR/log/$name.log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
}

# stop_daemon NAME: TERM the process group, then KILL after a grace period.
stop_daemon() {
  local name="$1" pf pid
  pf="$(pidfile "$name")"
  [[ -f "$pf" ]] || return 0
  pid="$(cat "$pf")"
  if pid_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pf"
}

# wait_until SECONDS DESCRIPTION CMD...: poll CMD until it succeeds.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" > /dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$what did not become healthy within ${timeout}s; last log lines:"
      return 1
    fi
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$@"; }

# go_build_cached TOOL VERSION OUTNAME DIR -- GO-BUILD-ARGS...: build once into the cache.
# Prints the binary path.
go_build_cached() {
  local tool="$1" version="$2" out="$3" dir="$4"; shift 4
  [[ "${1:-}" == "--" ]] && shift
  local dest="$TESTBED_CACHE/$tool/$version"
  if [[ ! -x "$dest/$out" ]]; then
    mkdir -p "$dest"
    log "building $tool $version ($out); first run only, cached in $dest"
    (cd "$dir" && CGO_ENABLED="${CGO_ENABLED:-0}" go build -trimpath -o "$dest/$out.tmp" "$@") >&2 || die "go build of $tool failed"
    mv "$dest/$out.tmp" "$dest/$out"
  fi
  echo "$dest/$out"
}

# unmount_under DIR: unmount every mount point at or below DIR, deepest first.
unmount_under() {
  local dir target
  dir="$(realpath -m "$1")"
  findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r | while read -r target; do
    umount "$target" 2> /dev/null || umount -l "$target" || log "could not unmount $target"
  done
}

# The testbed CA signs every TLS endpoint; tests trust it through TESTBED_CA_FILE.
TESTBED_CA_DIR="$TESTBED_DIR/ca"
ca_ensure() {
  [[ -s "$TESTBED_CA_DIR/ca.crt" && -s "$TESTBED_CA_DIR/ca.key" ]] && return 0
  mkdir -p "$TESTBED_CA_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=falco-airgap testbed CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$TESTBED_CA_DIR/ca.key" -out "$TESTBED_CA_DIR/ca.crt" 2> /dev/null || die "openssl could not create the testbed CA"
}

# ca_issue NAME SAN: write $TESTBED_CA_DIR/NAME.{crt,key}, a server certificate signed by the testbed CA.
ca_issue() {
  local name="$1" san="$2" crt="$TESTBED_CA_DIR/$1.crt" key="$TESTBED_CA_DIR/$1.key"
  ca_ensure
  [[ -s "$crt" && -s "$key" && "$crt" -nt "$TESTBED_CA_DIR/ca.crt" ]] && return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
    -keyout "$key" -out "$TESTBED_CA_DIR/$name.csr" 2> /dev/null || die "openssl could not create a key for $name"
  openssl x509 -req -in "$TESTBED_CA_DIR/$name.csr" -CA "$TESTBED_CA_DIR/ca.crt" -CAkey "$TESTBED_CA_DIR/ca.key" \
    -CAcreateserial -days 825 -out "$crt" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$san") \
    2> /dev/null || die "openssl could not sign the certificate for $name"
  rm -f "$TESTBED_CA_DIR/$name.csr"
}

# random_secret: 32 hex characters, for generated passwords and keys.
random_secret() { openssl rand -hex 16; }
