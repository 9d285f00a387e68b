# S3-compatible server: MinIO built from the commit pinned in tools/go/minio, single drive on loopback, :9000 (or the
# next free port when that is taken).
# shellcheck shell=bash

S3_STATE="$TESTBED_DIR/s3"
S3_ADDR="127.0.0.1:$(port_of S3 9000)"
S3_REGION=us-east-1

s3_live() { http_ok "http://$S3_ADDR/minio/health/live"; }
s3_ready() { http_ok "http://$S3_ADDR/minio/health/ready"; }

s3_minio_binary() {
  local moddir="$REPO_ROOT/tools/go/minio" version
  version="$(awk '$1 == "github.com/minio/minio" { print $2 }' "$moddir/go.mod")"
  [[ -n "$version" ]] || die "tools/go/minio/go.mod does not pin github.com/minio/minio"
  go_build_cached minio "$version" minio "$moddir" -- github.com/minio/minio
}

svc_s3_up() {
  local minio
  minio="$(s3_minio_binary)"
  # Tests start MinIO servers of their own (to stop them mid-upload) from the same binary.
  env_set s3 TESTBED_MINIO_BINARY "$minio"
  local port console_port
  port="$(port_claim s3 S3 9000 s3)" || return 1
  # The console is off, but MinIO still wants an address for it.
  console_port="$(port_claim s3 S3_CONSOLE 9001 s3)" || return 1
  S3_ADDR="127.0.0.1:$port"
  if is_running s3 && s3_ready; then return 0; fi
  mkdir -p "$S3_STATE" "$TESTBED_DIR/data/s3"
  [[ -s "$S3_STATE/access-key" ]] || echo "testbed$(openssl rand -hex 4)" > "$S3_STATE/access-key"
  [[ -s "$S3_STATE/secret-key" ]] || random_secret > "$S3_STATE/secret-key"
  stop_daemon s3
  # The console and update checks need the internet or a browser; neither exists here.
  start_daemon s3 env \
    MINIO_ROOT_USER="$(cat "$S3_STATE/access-key")" \
    MINIO_ROOT_PASSWORD="$(cat "$S3_STATE/secret-key")" \
    MINIO_SITE_REGION="$S3_REGION" \
    MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
    "$minio" server --quiet --anonymous --certs-dir "$S3_STATE/certs" \
    --address "$S3_ADDR" --console-address "127.0.0.1:$console_port" "$TESTBED_DIR/data/s3"
  wait_until 60 "s3 $S3_ADDR" s3_ready || { tail -n 20 "$TESTBED_DIR/log/s3.log" >&2; return 1; }
  env_set s3 TESTBED_S3_ENDPOINT "http://$S3_ADDR"
  env_set s3 TESTBED_S3_ACCESS_KEY "$(cat "$S3_STATE/access-key")"
  env_set s3 TESTBED_S3_SECRET_KEY "$(cat "$S3_STATE/secret-key")"
  env_set s3 TESTBED_S3_REGION "$S3_REGION"
}

svc_s3_down() { stop_daemon s3; }

svc_s3_status() {
  # Another testbed's MinIO may answer on the usual port; only this testbed's own process counts.
  is_running s3 || { echo "http://$S3_ADDR: not started by this testbed ($TESTBED_DIR)"; return 1; }
  s3_live || { echo "http://$S3_ADDR/minio/health/live does not answer"; return 1; }
  echo "http://$S3_ADDR (MinIO, region $S3_REGION)"
}
