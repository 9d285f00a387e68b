#!/usr/bin/env bash
# The quick start, on a machine without internet: the whole local pipeline on the testbed, for both
# plugin strategies. A local registry gets the fixture plugins, rules and Falco image, published the way
# upstream publishes them; `falco-airgap pipeline --env local` mirrors, verifies and locks them, builds
# and pushes the images, and deploys the chart by digest to the testbed's Kubernetes API server (kwok
# nodes make the pods ready); `--env local-s3` does the same through an S3 release on MinIO; a re-run
# shows that nothing changed and nothing was written. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# System packages, Node 24 and the workspace (the testbed's Go tools are built and cached on first use).
tools/setup.sh --no-testbed
export PATH="$root/node_modules/.bin:$PATH"

# The testbed, on its usual ports or the next free ones (it says which); FALCO_AIRGAP_TESTBED_DIR moves its state.
testbed_dir="${FALCO_AIRGAP_TESTBED_DIR:-$root/.testbed}"
export FALCO_AIRGAP_TESTBED_DIR="$testbed_dir"
services=(docker registry s3 helm kube)
# Services that already run stay; those this run starts are stopped again if the demo fails or is interrupted.
started=()
for service in "${services[@]}"; do
  tools/testbed/testbed status "$service" > /dev/null 2>&1 || started+=("$service")
done
stop_started() {
  local rc=$?
  if ((rc != 0)) && ((${#started[@]})); then
    echo "demo: failed; stopping what it started: ${started[*]}" >&2
    tools/testbed/testbed down "${started[@]}" > /dev/null 2>&1 || true
  fi
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tools/testbed/testbed up "${services[@]}"
testbed() { sed -n "s/^$1=//p" "$testbed_dir/testbed.env"; }

echo "== building falco-airgap and the falco-s3-loader executable"
npx nx run-many -t build --projects=@falco-airgap/cli,@falco-airgap/s3-loader --output-style=static > /dev/null
falco-airgap() { node "$root/apps/orchestrator/dist/bin.js" "$@"; }

demo="$testbed_dir/demo"
echo "== publishing the fixtures to $(testbed TESTBED_REGISTRY), building the stand-in base images, writing $demo/falco-airgap.config.yaml"
eval "$(node tools/demo-prepare.ts "$demo")"

# What the environments leave to flags: where the images start from and what is built and deployed.
export FALCO_AIRGAP_MANIFEST=plugins-manifest.yaml
export FALCO_AIRGAP_BASE_IMAGE="$BASE_IMAGE" FALCO_AIRGAP_FALCO_IMAGE="$FALCO_IMAGE"
export FALCO_AIRGAP_DOCKER_DIR="$root/docker" FALCO_AIRGAP_S3_LOADER_BINARY="$root/apps/s3-loader/dist/falco-s3-loader"
export FALCO_AIRGAP_CHART="$root/helm/falco-airgap" FALCO_AIRGAP_CACHE_DIR="$demo/cache"
export DOCKER_HOST FALCO_AIRGAP_HELM AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
DOCKER_HOST="$(testbed TESTBED_DOCKER_HOST)"
FALCO_AIRGAP_HELM="$(testbed TESTBED_HELM)"
AWS_ACCESS_KEY_ID="$(testbed TESTBED_S3_ACCESS_KEY)"
AWS_SECRET_ACCESS_KEY="$(testbed TESTBED_S3_SECRET_KEY)"
cd "$demo"

echo "== falco-airgap pipeline --env local (strategy sidecar)"
falco-airgap --config "$CONFIG" pipeline --env local --out plugins
echo "== falco-airgap pipeline --env local-s3 (strategy s3)"
falco-airgap --config "$CONFIG" pipeline --env local-s3 --out plugins-s3
echo "== again, nothing changed: every stage must say unchanged"
falco-airgap --config "$CONFIG" pipeline --env local --out plugins
falco-airgap --config "$CONFIG" status --env local
echo "== done: the chart runs in namespaces falco-demo and falco-demo-s3 of $(testbed TESTBED_KUBE_APISERVER) (kubeconfig $(testbed TESTBED_KUBECONFIG))"
