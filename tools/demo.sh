#!/usr/bin/env bash
# The quick start: validate the shipped manifest and show what the pipeline would do on local defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x node_modules/.bin/node ]] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
npx nx run-many -t build --projects=@falco-airgap/manifest,@falco-airgap/cli --output-style=static > /dev/null
falco-airgap() { node apps/orchestrator/dist/bin.js "$@"; }
falco-airgap manifest validate plugins/plugins-manifest.yaml
falco-airgap pipeline --env local --strategy sidecar --dry-run
