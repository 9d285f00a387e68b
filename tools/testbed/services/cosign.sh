# The cosign CLI, built from the v2 release pinned in tools/go/cosign; no daemon. Tests sign with keys they generate.
# shellcheck shell=bash

cosign_binary() {
  local version
  version="$(awk '$1 == "github.com/sigstore/cosign/v2" { print $2 }' "$REPO_ROOT/tools/go/cosign/go.mod")"
  [[ -n "$version" ]] || die "tools/go/cosign/go.mod does not pin github.com/sigstore/cosign/v2"
  # Same version stamping as upstream's Makefile, so `cosign version` names the release.
  GOFLAGS="-mod=readonly -buildvcs=false" go_build_cached cosign "$version" cosign "$REPO_ROOT/tools/go/cosign" -- \
    -ldflags "-s -w -buildid= -X sigs.k8s.io/release-utils/version.gitVersion=$version" \
    github.com/sigstore/cosign/v2/cmd/cosign
}

svc_cosign_up() {
  local cosign
  cosign="$(cosign_binary)"
  "$cosign" version > /dev/null 2>&1 || die "$cosign does not run"
  env_set cosign TESTBED_COSIGN "$cosign"
}

# Nothing runs; tests keep their keys and cosign's own state in their temporary directories.
svc_cosign_down() { :; }

svc_cosign_status() {
  local cosign version
  cosign="$(grep -s '^TESTBED_COSIGN=' "$TESTBED_DIR/env.d/cosign.env" | cut -d= -f2-)"
  [[ -x "$cosign" ]] || { echo "cosign not built: run tools/testbed/testbed up cosign"; return 1; }
  version="$("$cosign" version 2>&1 | awk '/^GitVersion:/ { print $2 }')" || { echo "$cosign does not run"; return 1; }
  echo "$cosign ($version)"
}
