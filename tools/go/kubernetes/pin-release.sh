#!/usr/bin/env bash
# Rewrites go.mod and go.sum to build another Kubernetes release: pin-release.sh v1.34.4
# The release's go.mod points its staging modules (k8s.io/api, ...) at ./staging, which a
# depending module cannot see, so each one is pinned to its published tag v0.<minor>.<patch>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

version="${1:-}"
[[ "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "usage: $0 v1.MINOR.PATCH" >&2; exit 2; }
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

upstream_mod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$upstream_mod" ]] || { echo "could not download k8s.io/kubernetes@$version from the module proxy" >&2; exit 1; }

{
  echo "// Builds the Kubernetes control plane and kubectl for the testbed from one pinned release."
  echo "module github.com/falco-airgap/falco-airgap/tools/go/kubernetes"
  echo
  # Same language version and GODEBUG defaults as the release's own build.
  # shellcheck disable=SC1003 # sed's append command with an empty line, not a quote escape
  grep -E '^(go|godebug) ' "$upstream_mod" | sed 'a\\'
  echo "tool ("
  for cmd in kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubectl kubelet; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$cmd"; done
  echo ")"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "// The release's go.mod points its staging modules at ./staging; pin them to the matching published tags."
  echo "replace ("
  sed -n '/^replace (/,/^)/p' "$upstream_mod" | awk -v v="$staging_version" '$2 == "=>" { printf "\t%s => %s %s\n", $1, $1, v }'
  echo ")"
} > go.mod.new
mv go.mod.new go.mod
rm -f go.sum
go mod tidy
echo "pinned Kubernetes $version (staging modules $staging_version); the next tools/testbed/testbed up kube builds it" >&2
