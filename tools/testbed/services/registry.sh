# Two OCI registries (Debian docker-registry, distribution 2.8): plain HTTP on :5000, TLS + basic auth on :5443
# (or the next free ports when those are taken).
# shellcheck shell=bash

REGISTRY_STATE="$TESTBED_DIR/registry"
REGISTRY_AUTH_USER=testbed

# registry_addresses: the endpoints from the ports this testbed uses (claimed anew by up).
registry_addresses() {
  REGISTRY_PLAIN_ADDR="127.0.0.1:${1:-$(port_of REGISTRY_PLAIN 5000)}"
  REGISTRY_AUTH_ADDR="127.0.0.1:${2:-$(port_of REGISTRY_AUTH 5443)}"
  # Lets the engine verify the auth registry against the testbed CA; docker reads certs.d on every push.
  REGISTRY_ENGINE_CERTS_DIR="/etc/docker/certs.d/$REGISTRY_AUTH_ADDR"
}
registry_addresses

registry_access_log() { echo "$TESTBED_DIR/log/$1-access.log"; }

# registry_config NAME ADDR [EXTRA-YAML]: the config of one instance, storage under data/NAME.
registry_config() {
  local name="$1" addr="$2" extra="${3:-}"
  cat <<YAML
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $TESTBED_DIR/data/$name
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $addr
  secret: $(cat "$REGISTRY_STATE/http-secret")
$extra
YAML
}

# The access log is the registry's stdout (one combined-format line per request); the rest goes to log/NAME.log.
registry_start() {
  local name="$1"
  # shellcheck disable=SC2016 # $1 and $2 belong to the inner shell.
  start_daemon "$name" bash -c 'exec docker-registry serve "$1" >> "$2"' _ "$REGISTRY_STATE/$name.yml" "$(registry_access_log "$name")"
}

registry_plain_ok() { http_ok "http://$REGISTRY_PLAIN_ADDR/v2/"; }
registry_auth_ok() {
  http_ok --cacert "$TESTBED_CA_DIR/ca.crt" -u "$REGISTRY_AUTH_USER:$(cat "$REGISTRY_STATE/password")" "https://$REGISTRY_AUTH_ADDR/v2/"
}

registry_write_auth_files() {
  [[ -s "$REGISTRY_STATE/password" ]] || random_secret > "$REGISTRY_STATE/password"
  if [[ ! -s "$REGISTRY_STATE/htpasswd" ]]; then
    command -v htpasswd > /dev/null || die "htpasswd not found: apt-get install apache2-utils"
    # distribution only accepts bcrypt entries.
    htpasswd -Bbn "$REGISTRY_AUTH_USER" "$(cat "$REGISTRY_STATE/password")" > "$REGISTRY_STATE/htpasswd"
  fi
  ca_issue registry "IP:127.0.0.1,DNS:localhost"
}

svc_registry_up() {
  command -v docker-registry > /dev/null || die "docker-registry not found: apt-get install docker-registry"
  mkdir -p "$REGISTRY_STATE" "$TESTBED_DIR/data/registry-plain" "$TESTBED_DIR/data/registry-auth"
  [[ -s "$REGISTRY_STATE/http-secret" ]] || random_secret > "$REGISTRY_STATE/http-secret"
  registry_write_auth_files
  local plain_port auth_port
  plain_port="$(port_claim registry REGISTRY_PLAIN 5000 registry-plain)" || return 1
  auth_port="$(port_claim registry REGISTRY_AUTH 5443 registry-auth)" || return 1
  registry_addresses "$plain_port" "$auth_port"

  if ! (is_running registry-plain && registry_plain_ok); then
    stop_daemon registry-plain
    registry_config registry-plain "$REGISTRY_PLAIN_ADDR" > "$REGISTRY_STATE/registry-plain.yml"
    registry_start registry-plain
  fi
  if ! (is_running registry-auth && registry_auth_ok); then
    stop_daemon registry-auth
    registry_config registry-auth "$REGISTRY_AUTH_ADDR" "  tls:
    certificate: $TESTBED_CA_DIR/registry.crt
    key: $TESTBED_CA_DIR/registry.key
auth:
  htpasswd:
    realm: falco-airgap-testbed
    path: $REGISTRY_STATE/htpasswd" > "$REGISTRY_STATE/registry-auth.yml"
    registry_start registry-auth
  fi
  wait_until 30 "registry $REGISTRY_PLAIN_ADDR" registry_plain_ok || { tail -n 20 "$TESTBED_DIR/log/registry-plain.log" >&2; return 1; }
  wait_until 30 "registry $REGISTRY_AUTH_ADDR" registry_auth_ok || { tail -n 20 "$TESTBED_DIR/log/registry-auth.log" >&2; return 1; }

  if [[ -w /etc ]]; then
    mkdir -p "$REGISTRY_ENGINE_CERTS_DIR" && cp "$TESTBED_CA_DIR/ca.crt" "$REGISTRY_ENGINE_CERTS_DIR/ca.crt"
  fi
  env_set registry TESTBED_REGISTRY "$REGISTRY_PLAIN_ADDR"
  env_set registry TESTBED_REGISTRY_LOG "$(registry_access_log registry-plain)"
  env_set registry TESTBED_REGISTRY_AUTH "$REGISTRY_AUTH_ADDR"
  env_set registry TESTBED_REGISTRY_AUTH_USER "$REGISTRY_AUTH_USER"
  env_set registry TESTBED_REGISTRY_AUTH_PASSWORD "$(cat "$REGISTRY_STATE/password")"
  env_set registry TESTBED_REGISTRY_AUTH_LOG "$(registry_access_log registry-auth)"
  env_set registry TESTBED_CA_FILE "$TESTBED_CA_DIR/ca.crt"
}

svc_registry_down() {
  stop_daemon registry-auth
  stop_daemon registry-plain
  rm -rf "$REGISTRY_ENGINE_CERTS_DIR"
  rmdir --ignore-fail-on-non-empty "$(dirname "$REGISTRY_ENGINE_CERTS_DIR")" 2> /dev/null || true
}

svc_registry_status() {
  # Another testbed's registry may answer on the usual port; only this testbed's own processes count.
  is_running registry-plain || { echo "http://$REGISTRY_PLAIN_ADDR: not started by this testbed ($TESTBED_DIR)"; return 1; }
  is_running registry-auth || { echo "https://$REGISTRY_AUTH_ADDR: not started by this testbed ($TESTBED_DIR)"; return 1; }
  registry_plain_ok || { echo "http://$REGISTRY_PLAIN_ADDR/v2/ does not answer"; return 1; }
  registry_auth_ok || { echo "https://$REGISTRY_AUTH_ADDR/v2/ does not answer with credentials"; return 1; }
  echo "http://$REGISTRY_PLAIN_ADDR, https://$REGISTRY_AUTH_ADDR (basic auth, testbed CA)"
}
