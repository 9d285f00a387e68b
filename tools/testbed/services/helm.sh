# The helm CLI, built from the v3 release pinned in tools/go/helm; no daemon.
# shellcheck shell=bash

helm_module_version() { awk -v m="$1" '$1 == m { print $2 }' "$REPO_ROOT/tools/go/helm/go.mod"; }

helm_binary() {
  local version client_go k8s_minor
  version="$(helm_module_version helm.sh/helm/v3)"
  client_go="$(helm_module_version k8s.io/client-go)"
  [[ -n "$version" && -n "$client_go" ]] || die "tools/go/helm/go.mod does not pin helm.sh/helm/v3 and k8s.io/client-go"
  # Same stamping as upstream's Makefile: client-go v0.N.x means a default Kubernetes 1.N.
  k8s_minor="$(cut -d. -f2 <<< "$client_go")"
  go_build_cached helm "$version" helm "$REPO_ROOT/tools/go/helm" -- \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
    helm.sh/helm/v3/cmd/helm
}

svc_helm_up() {
  local helm
  helm="$(helm_binary)"
  "$helm" version --short > /dev/null || die "$helm does not run"
  env_set helm TESTBED_HELM "$helm"
}

# Nothing runs; helm's own cache and config stay wherever the caller points HELM_* at.
svc_helm_down() { :; }

svc_helm_status() {
  local helm version
  helm="$(grep -s '^TESTBED_HELM=' "$TESTBED_DIR/env.d/helm.env" | cut -d= -f2-)"
  [[ -x "$helm" ]] || { echo "helm not built: run tools/testbed/testbed up helm"; return 1; }
  version="$("$helm" version --short)" || { echo "$helm does not run"; return 1; }
  echo "$helm ($version)"
}
