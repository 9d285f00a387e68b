# Real upstream pieces for the fixtures: the falcoctl CLI and real Falco plugins (plugin-sdk-go, plugin-sdk-cpp style),
# built once by tools/fixtures/real-plugins/build.sh into the cache; no daemon.
# shellcheck shell=bash

PLUGINS_INDEX="$TESTBED_DIR/real-plugins.json"

svc_plugins_up() {
  "$REPO_ROOT/tools/fixtures/real-plugins/build.sh" > "$PLUGINS_INDEX.tmp" || die "building falcoctl and the real plugins failed"
  mv "$PLUGINS_INDEX.tmp" "$PLUGINS_INDEX"
  env_set plugins TESTBED_REAL_PLUGINS "$PLUGINS_INDEX"
  env_set plugins TESTBED_FALCOCTL "$(sed -n 's/.*"falcoctl": { "version": "[^"]*", "path": "\([^"]*\)".*/\1/p' "$PLUGINS_INDEX")"
}

# Nothing runs; the cache stays for the next run.
svc_plugins_down() { :; }

svc_plugins_status() {
  local falcoctl
  [[ -s "$PLUGINS_INDEX" ]] || { echo "not built: run tools/testbed/testbed up plugins"; return 1; }
  falcoctl="$(grep -s '^TESTBED_FALCOCTL=' "$TESTBED_DIR/env.d/plugins.env" | cut -d= -f2-)"
  [[ -x "$falcoctl" ]] || { echo "falcoctl not built: run tools/testbed/testbed up plugins"; return 1; }
  grep -o '"/[^"]*\.so"' "$PLUGINS_INDEX" | tr -d '"' | while read -r f; do [[ -s "$f" ]] || { echo "$f is missing: run tools/testbed/testbed up plugins"; exit 1; }; done || return 1
  echo "falcoctl $("$falcoctl" version 2> /dev/null | awk '/Client Version/ { print $3 }' || true), plugins in $PLUGINS_INDEX"
}
