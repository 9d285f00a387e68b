# Docker engine (Debian docker.io) on its own socket and data root; containers use --network host.
# shellcheck shell=bash

DOCKER_STATE="$TESTBED_DIR/docker"
DOCKER_SOCK="$DOCKER_STATE/docker.sock"
DOCKER_EXEC_ROOT="$DOCKER_STATE/exec"
# The Debian client matches the Debian engine; a newer client elsewhere on PATH would work too.
DOCKER_CLI="${FALCO_AIRGAP_DOCKER_CLI:-/usr/bin/docker}"

docker_cli() { "$DOCKER_CLI" --host "unix://$DOCKER_SOCK" "$@"; }
docker_ping() { curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" -o /dev/null http://localhost/_ping; }

svc_docker_up() {
  if is_running docker && docker_ping; then return 0; fi
  command -v dockerd > /dev/null || die "dockerd not found: apt-get install docker.io"
  mkdir -p "$DOCKER_STATE/root" "$DOCKER_EXEC_ROOT"
  # An empty config file keeps a host /etc/docker/daemon.json from leaking in.
  echo '{}' > "$DOCKER_STATE/daemon.json"
  rm -f "$DOCKER_SOCK"
  # No --containerd: dockerd starts and supervises its own containerd under the exec root.
  start_daemon docker dockerd \
    --config-file "$DOCKER_STATE/daemon.json" \
    --host "unix://$DOCKER_SOCK" \
    --data-root "$DOCKER_STATE/root" \
    --exec-root "$DOCKER_EXEC_ROOT" \
    --pidfile "$DOCKER_STATE/dockerd.pid" \
    --storage-driver=vfs \
    --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --bridge=none --userland-proxy=false
  wait_until 60 "docker engine" docker_ping || { tail -n 20 "$TESTBED_DIR/log/docker.log" >&2; return 1; }
  env_set docker TESTBED_DOCKER_HOST "unix://$DOCKER_SOCK"
  env_set docker TESTBED_DOCKER_CLI "$DOCKER_CLI"
}

svc_docker_down() {
  local pf pid
  pf="$(pidfile docker)"
  # dockerd alone first: it stops its containers, then its containerd, in that order.
  if [[ -f "$pf" ]] && pid="$(cat "$pf")" && kill -0 "$pid" 2> /dev/null; then
    # Killing first skips the 10 s stop timeout of containers whose PID 1 ignores SIGTERM.
    docker_cli ps --quiet | xargs --no-run-if-empty "$DOCKER_CLI" --host "unix://$DOCKER_SOCK" kill > /dev/null 2>&1 || true
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
  fi
  stop_daemon docker
  docker_kill_orphan_shims
  unmount_under "$DOCKER_STATE"
  rm -f "$DOCKER_SOCK" "$DOCKER_STATE/dockerd.pid"
  # The exec root holds only runtime state (sockets, netns handles); never delete through a live mount.
  findmnt -rn -o TARGET | grep -qF "$DOCKER_EXEC_ROOT" || rm -rf "$DOCKER_EXEC_ROOT"
}

svc_docker_status() {
  docker_ping || { echo "unix://$DOCKER_SOCK: no answer to _ping"; return 1; }
  local version
  version="$(docker_cli version --format '{{.Server.Version}}')" || { echo "unix://$DOCKER_SOCK: docker version failed"; return 1; }
  echo "unix://$DOCKER_SOCK (engine $version, vfs)"
}

# Shims are reparented away from dockerd's session; find ours by the containerd socket they name.
docker_kill_orphan_shims() {
  local cmdline pid
  for cmdline in /proc/[0-9]*/cmdline; do
    pid="${cmdline#/proc/}"; pid="${pid%/cmdline}"
    if { tr '\0' ' ' < "$cmdline"; } 2> /dev/null | grep -qF "$DOCKER_EXEC_ROOT/"; then kill -KILL "$pid" 2> /dev/null || true; fi
  done
}
