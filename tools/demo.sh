#!/usr/bin/env bash
# The quick start, on a machine without internet: a local registry with the fixture plugins, rules
# and Falco image published the way upstream publishes them; extract mirrors, verifies and locks
# them; a second extract with --locked shows nothing moved and nothing is downloaded again; then
# the shipped manifest is validated and the pipeline plan shown. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the local registry and the fixture plugins need (compiled from our C source for amd64 and arm64).
declare -A NEEDS=([docker-registry]=docker-registry [gcc]=gcc [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu [htpasswd]=apache2-utils [openssl]=openssl [curl]=curl)
missing=()
for cmd in "${!NEEDS[@]}"; do command -v "$cmd" > /dev/null || missing+=("${NEEDS[$cmd]}"); done
[[ -e /usr/aarch64-linux-gnu/include/stdlib.h ]] || missing+=(libc6-dev-arm64-cross)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "demo: missing system packages: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

[[ -x node_modules/.bin/node ]] || npm install --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
npx nx run-many -t build --projects=@falco-airgap/manifest,@falco-airgap/plugin-extractor,@falco-airgap/cli --output-style=static > /dev/null
falco-airgap() { node apps/orchestrator/dist/bin.js "$@"; }

tools/testbed/testbed up registry
registry="$(sed -n 's/^TESTBED_REGISTRY=//p' .testbed/testbed.env)"
echo "== publishing the fixture plugins, rules and Falco image to $registry"
node tools/fixtures/publish.ts

# The shipped manifest, pointed at the local registry instead of ghcr.io and docker.io.
demo=.testbed/demo
mkdir -p "$demo"
sed -e "s#ghcr.io/#$registry/#" -e "s#docker.io/#$registry/#" plugins/plugins-manifest.yaml > "$demo/plugins-manifest.yaml"
echo "== extract from $registry into $demo/plugins"
falco-airgap extract --manifest "$demo/plugins-manifest.yaml" --out "$demo/plugins" --plain-http "$registry" --cache-dir "$demo/cache"
echo "== again with --locked: everything must resolve to what plugins-lock.yaml records"
falco-airgap extract --manifest "$demo/plugins-manifest.yaml" --out "$demo/plugins" --plain-http "$registry" --cache-dir "$demo/cache" --locked
find "$demo/plugins/extracted" -type f | sort

falco-airgap manifest validate plugins/plugins-manifest.yaml
falco-airgap pipeline --env local --strategy sidecar --dry-run
