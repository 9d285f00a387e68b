# Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, and kwok playing the kubelet of two fake nodes. Built from pinned Go modules.
# shellcheck shell=bash

KUBE_STATE="$TESTBED_DIR/kube"
KUBE_PKI="$KUBE_STATE/pki"
KUBE_ETCD_DATA="$KUBE_STATE/etcd"
KUBE_CONFIGS="$KUBE_STATE/kubeconfigs"
KUBE_ADMIN_KUBECONFIG="$KUBE_STATE/kubeconfig"
KUBE_GO_MODULES="$REPO_ROOT/tools/go"
KUBE_KWOK_CONFIG="$REPO_ROOT/tools/testbed/kwok"

# Port keys, their usual ports and the daemon listening on each (FALCO_AIRGAP_<KEY>_PORT pins one).
KUBE_PORTS=(KUBE_ETCD_CLIENT:2379:kube-etcd KUBE_ETCD_PEER:2380:kube-etcd KUBE_APISERVER:6443:kube-apiserver
  KUBE_CONTROLLER_MANAGER:10257:kube-controller-manager KUBE_SCHEDULER:10259:kube-scheduler KUBE_KWOK:10247:kube-kwok)

# kube_ports [claim]: sets KUBE_<KEY>_PORT and the API server URL; with `claim`, as up chooses them.
kube_ports() {
  local entry key usual daemon port
  for entry in "${KUBE_PORTS[@]}"; do
    IFS=: read -r key usual daemon <<< "$entry"
    if [[ "${1:-}" == claim ]]; then
      port="$(port_claim kube "$key" "$usual" "$daemon")" || return 1
    else
      port="$(port_of "$key" "$usual")"
    fi
    printf -v "${key}_PORT" '%s' "$port"
  done
  KUBE_APISERVER_URL="https://127.0.0.1:$KUBE_APISERVER_PORT"
}
kube_ports
KUBE_SERVICE_CIDR="10.96.0.0/16"
KUBE_SERVICE_IP="10.96.0.1"
KUBE_NODES=(kwok-node-0 kwok-node-1)
# Endpoints may not hold loopback addresses, so the kubernetes Service points into the fake node network.
KUBE_ADVERTISE_IP="10.240.0.1"
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# Stop order; start order is the reverse.
KUBE_DAEMONS=(kube-kwok kube-scheduler kube-controller-manager kube-apiserver kube-etcd)

svc_kube_up() {
  if svc_kube_status > /dev/null 2>&1; then return 0; fi
  command -v openssl > /dev/null || die "openssl not found: apt-get install openssl"
  kube_build_binaries
  kube_ports claim || return 1
  kube_write_pki
  kube_write_kubelet_client_cert
  kube_write_kubeconfigs
  kube_start_etcd
  kube_start_apiserver
  kube_start_controllers
  kube_register_nodes
  kube_wait_ready
  env_set kube TESTBED_KUBECONFIG "$KUBE_ADMIN_KUBECONFIG"
  env_set kube TESTBED_KUBE_APISERVER "$KUBE_APISERVER_URL"
  env_set kube TESTBED_KUBE_VERSION "$KUBE_VERSION"
  env_set kube TESTBED_KUBECTL "$KUBECTL"
}

svc_kube_down() {
  local name
  for name in "${KUBE_DAEMONS[@]}"; do stop_daemon "$name"; done
  # A fresh cluster on every up: only the PKI and kubeconfigs survive.
  rm -rf "$KUBE_ETCD_DATA"
}

svc_kube_status() {
  kube_resolve_binaries
  local name
  for name in "${KUBE_DAEMONS[@]}"; do
    is_running "$name" || { echo "$KUBE_APISERVER_URL: $name is not running"; return 1; }
  done
  kube_apiserver_ready || { echo "$KUBE_APISERVER_URL: /readyz is not ok"; return 1; }
  local ready
  ready="$(kube_ready_node_count)" || { echo "$KUBE_APISERVER_URL: cannot list nodes"; return 1; }
  ((ready == ${#KUBE_NODES[@]})) || { echo "$KUBE_APISERVER_URL: $ready/${#KUBE_NODES[@]} nodes Ready"; return 1; }
  echo "$KUBE_APISERVER_URL (Kubernetes $KUBE_VERSION, $ready/${#KUBE_NODES[@]} kwok nodes Ready)"
}

kubectl_admin() { "$KUBECTL" --kubeconfig "$KUBE_ADMIN_KUBECONFIG" "$@"; }

# The pinned versions live in the wrapper modules' go.mod files, nowhere else.
kube_module_version() {
  awk -v mod="$2" '{ sub(/^require[ \t]+/, "") } $1 == mod { print $2; exit }' "$KUBE_GO_MODULES/$1/go.mod"
}

kube_resolve_binaries() {
  KUBE_VERSION="$(kube_module_version kubernetes k8s.io/kubernetes)"
  ETCD_VERSION="$(kube_module_version etcd go.etcd.io/etcd/server/v3)"
  KWOK_VERSION="$(kube_module_version kwok sigs.k8s.io/kwok)"
  KUBE_BIN="$TESTBED_CACHE/kubernetes/$KUBE_VERSION"
  KUBECTL="$KUBE_BIN/kubectl"
  ETCD_BIN="$TESTBED_CACHE/etcd/$ETCD_VERSION/etcd"
  KWOK_BIN="$TESTBED_CACHE/kwok/$KWOK_VERSION/kwok"
}

kube_build_binaries() {
  kube_resolve_binaries
  kube_build_kubernetes "${KUBE_COMMANDS[@]}"
  # Stripped like upstream release builds: half the size, and linking is faster.
  ETCD_BIN="$(go_build_cached etcd "$ETCD_VERSION" etcd "$KUBE_GO_MODULES/etcd" -- -ldflags "-s -w" go.etcd.io/etcd/server/v3)"
  KWOK_BIN="$(go_build_cached kwok "$KWOK_VERSION" kwok "$KUBE_GO_MODULES/kwok" -- -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok)"
}

# kube_build_kubernetes COMMAND...: one go build for the missing ones, so the shared packages compile once;
# a binary added later (kube-proxy beside the kubelet) reuses the packages Go's build cache already holds.
kube_build_kubernetes() {
  local cmd missing=() pkgs=()
  for cmd in "$@"; do
    [[ -x "$KUBE_BIN/$cmd" ]] && continue
    missing+=("$cmd")
    pkgs+=("k8s.io/kubernetes/cmd/$cmd")
  done
  ((${#missing[@]})) || return 0
  command -v go > /dev/null || die "go not found: the Kubernetes binaries are built from source"
  log "building Kubernetes $KUBE_VERSION (${missing[*]}); first run only, cached in $KUBE_BIN"
  local tmp="$KUBE_BIN/.build"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$KUBE_GO_MODULES/kubernetes" && CGO_ENABLED=0 go build -trimpath -ldflags "$(kube_version_ldflags)" -o "$tmp/" "${pkgs[@]}") >&2 \
    || die "go build of Kubernetes $KUBE_VERSION failed"
  for cmd in "${missing[@]}"; do mv "$tmp/$cmd" "$KUBE_BIN/$cmd"; done
  rmdir "$tmp"
}

# What the release build stamps in, so /version and kubectl version report the real release.
kube_version_ldflags() {
  local minor="${KUBE_VERSION#v1.}" pkg flags=()
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=("-X $pkg.gitVersion=$KUBE_VERSION" "-X $pkg.gitMajor=1" "-X $pkg.gitMinor=$minor"
      "-X $pkg.gitCommit=" "-X $pkg.gitTreeState=archive")
  done
  echo "-s -w ${flags[*]}"
}

kube_write_pki() {
  mkdir -p "$KUBE_PKI"
  [[ -f "$KUBE_PKI/ca.crt" && -f "$KUBE_PKI/front-proxy-client.crt" && -f "$KUBE_PKI/sa.pub" ]] && return 0
  log "writing a throwaway CA, certificates and service-account keys to $KUBE_PKI"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 3650 \
    -subj "/CN=falco-airgap-testbed-ca" -keyout "$KUBE_PKI/ca.key" -out "$KUBE_PKI/ca.crt" 2> /dev/null
  kube_issue_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$KUBE_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  kube_issue_cert admin "/O=system:masters/CN=falco-airgap-admin" clientAuth
  kube_issue_cert front-proxy-client "/CN=front-proxy-client" clientAuth
  kube_issue_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  kube_issue_cert scheduler "/CN=system:kube-scheduler" clientAuth
  # kwok updates node and pod status and deletes pods like every kubelet at once; the Node authorizer would refuse that.
  kube_issue_cert kwok "/O=system:masters/CN=kwok" clientAuth
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KUBE_PKI/sa.key" 2> /dev/null
  openssl pkey -in "$KUBE_PKI/sa.key" -pubout -out "$KUBE_PKI/sa.pub"
}

# The API server's identity towards real kubelets (services/node.sh); issued on its own so an existing PKI keeps its CA.
kube_write_kubelet_client_cert() {
  [[ -f "$KUBE_PKI/apiserver-kubelet-client.crt" ]] || kube_issue_cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
}

# kube_issue_cert NAME SUBJECT serverAuth|clientAuth [SUBJECT-ALT-NAMES]
kube_issue_cert() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}" ext
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage"
  [[ -n "$sans" ]] && ext+=$'\n'"subjectAltName=$sans"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "$subject" \
    -keyout "$KUBE_PKI/$name.key" -out "$KUBE_PKI/$name.csr" 2> /dev/null
  openssl x509 -req -in "$KUBE_PKI/$name.csr" -CA "$KUBE_PKI/ca.crt" -CAkey "$KUBE_PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile <(echo "$ext") -out "$KUBE_PKI/$name.crt" 2> /dev/null
  rm -f "$KUBE_PKI/$name.csr"
}

kube_write_kubeconfigs() {
  mkdir -p "$KUBE_CONFIGS"
  kube_write_kubeconfig "$KUBE_ADMIN_KUBECONFIG" admin
  kube_write_kubeconfig "$KUBE_CONFIGS/controller-manager.kubeconfig" controller-manager
  kube_write_kubeconfig "$KUBE_CONFIGS/scheduler.kubeconfig" scheduler
  kube_write_kubeconfig "$KUBE_CONFIGS/kwok.kubeconfig" kwok
}

# kube_write_kubeconfig FILE CERT-NAME: credentials embedded, so the file can be copied anywhere.
kube_write_kubeconfig() {
  local file="$1" user="$2"
  cat > "$file.tmp" << KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: falco-airgap-testbed
    cluster:
      server: $KUBE_APISERVER_URL
      certificate-authority-data: $(base64 -w0 < "$KUBE_PKI/ca.crt")
users:
  - name: $user
    user:
      client-certificate-data: $(base64 -w0 < "$KUBE_PKI/$user.crt")
      client-key-data: $(base64 -w0 < "$KUBE_PKI/$user.key")
contexts:
  - name: falco-airgap-testbed
    context:
      cluster: falco-airgap-testbed
      user: $user
current-context: falco-airgap-testbed
KUBECONFIG
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

# kube_wait SECONDS NAME CMD...: like wait_until, but shows the daemon's log when it gives up.
kube_wait() {
  local timeout="$1" name="$2"; shift 2
  wait_until "$timeout" "$name" "$@" && return 0
  tail -n 30 "$TESTBED_DIR/log/$name.log" >&2
  return 1
}

kube_etcd_healthy() { http_ok "http://127.0.0.1:$KUBE_ETCD_CLIENT_PORT/health"; }

kube_start_etcd() {
  mkdir -p "$KUBE_ETCD_DATA" && chmod 700 "$KUBE_ETCD_DATA"
  # Plain HTTP on loopback; fsync off because the data is thrown away on down anyway.
  start_daemon kube-etcd "$ETCD_BIN" \
    --name testbed \
    --data-dir "$KUBE_ETCD_DATA" \
    --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-cluster "testbed=http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --unsafe-no-fsync \
    --log-level warn
  kube_wait 30 kube-etcd kube_etcd_healthy
}

kube_apiserver_ready() {
  http_ok --cacert "$KUBE_PKI/ca.crt" --cert "$KUBE_PKI/admin.crt" --key "$KUBE_PKI/admin.key" "$KUBE_APISERVER_URL/readyz"
}

kube_start_apiserver() {
  # Kubelets are dialled by their Hostname address only: the kwok nodes' InternalIPs are made up.
  start_daemon kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address 127.0.0.1 \
    --advertise-address "$KUBE_ADVERTISE_IP" \
    --secure-port "$KUBE_APISERVER_PORT" \
    --etcd-servers "http://127.0.0.1:$KUBE_ETCD_CLIENT_PORT" \
    --tls-cert-file "$KUBE_PKI/apiserver.crt" \
    --tls-private-key-file "$KUBE_PKI/apiserver.key" \
    --client-ca-file "$KUBE_PKI/ca.crt" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged \
    --service-cluster-ip-range "$KUBE_SERVICE_CIDR" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$KUBE_PKI/sa.pub" \
    --service-account-signing-key-file "$KUBE_PKI/sa.key" \
    --requestheader-client-ca-file "$KUBE_PKI/ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$KUBE_PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$KUBE_PKI/front-proxy-client.key" \
    --kubelet-client-certificate "$KUBE_PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$KUBE_PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$KUBE_PKI/ca.crt" \
    --kubelet-preferred-address-types Hostname \
    --profiling=false
  kube_wait 90 kube-apiserver kube_apiserver_ready
}

kube_start_controllers() {
  local cm="$KUBE_CONFIGS/controller-manager.kubeconfig" sched="$KUBE_CONFIGS/scheduler.kubeconfig"
  # A single instance of each: leader election would only add a lease round-trip to every start.
  # The client rate limit is raised because a real one would stretch the start of ~40 controllers over seconds.
  start_daemon kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$cm" --authentication-kubeconfig "$cm" --authorization-kubeconfig "$cm" \
    --bind-address 127.0.0.1 \
    --secure-port "$KUBE_CONTROLLER_MANAGER_PORT" \
    --leader-elect=false \
    --controllers '*' \
    --kube-api-qps 100 --kube-api-burst 200 \
    --use-service-account-credentials \
    --service-account-private-key-file "$KUBE_PKI/sa.key" \
    --root-ca-file "$KUBE_PKI/ca.crt" \
    --cluster-signing-cert-file "$KUBE_PKI/ca.crt" \
    --cluster-signing-key-file "$KUBE_PKI/ca.key" \
    --service-cluster-ip-range "$KUBE_SERVICE_CIDR" \
    --profiling=false
  start_daemon kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$sched" --authentication-kubeconfig "$sched" --authorization-kubeconfig "$sched" \
    --bind-address 127.0.0.1 \
    --secure-port "$KUBE_SCHEDULER_PORT" \
    --leader-elect=false \
    --profiling=false
  # HOME points away from ~/.kwok so a developer's own kwok config cannot leak in; the label keeps it off real nodes.
  mkdir -p "$KUBE_STATE/kwok-home"
  start_daemon kube-kwok env HOME="$KUBE_STATE/kwok-home" "$KWOK_BIN" \
    --config "$KUBE_KWOK_CONFIG/stages.yaml" \
    --kubeconfig "$KUBE_CONFIGS/kwok.kubeconfig" \
    --manage-nodes-with-label-selector type=kwok \
    --node-lease-duration-seconds 40 \
    --server-address "127.0.0.1:$KUBE_KWOK_PORT"
  kube_wait 60 kube-controller-manager http_ok -k "https://127.0.0.1:$KUBE_CONTROLLER_MANAGER_PORT/healthz"
  kube_wait 60 kube-scheduler http_ok -k "https://127.0.0.1:$KUBE_SCHEDULER_PORT/healthz"
  kube_wait 60 kube-kwok http_ok "http://127.0.0.1:$KUBE_KWOK_PORT/healthz"
}

kube_register_nodes() {
  local i name
  for i in "${!KUBE_NODES[@]}"; do
    name="${KUBE_NODES[i]}"
    kubectl_admin get node "$name" > /dev/null 2>&1 && continue
    kube_node_manifest "$name" "$i" | kubectl_admin create -f - > /dev/null || die "could not register node $name"
  done
}

# The status given at create is kept; kwok then only flips the conditions (tools/testbed/kwok/stages.yaml).
kube_node_manifest() {
  local name="$1" index="$2"
  cat << NODE
apiVersion: v1
kind: Node
metadata:
  name: $name
  labels:
    type: kwok
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
spec:
  podCIDR: 10.244.$index.0/24
  podCIDRs: [10.244.$index.0/24]
status:
  addresses:
    - type: InternalIP
      address: 10.240.0.$((10 + index))
    - type: Hostname
      address: $name
  capacity: &resources
    cpu: "16"
    memory: 64Gi
    ephemeral-storage: 200Gi
    pods: "110"
  allocatable: *resources
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    osImage: kwok fake node
    kernelVersion: kwok-$KWOK_VERSION
    containerRuntimeVersion: kwok://$KWOK_VERSION
    kubeletVersion: $KUBE_VERSION
    kubeProxyVersion: $KUBE_VERSION
    bootID: ""
    machineID: ""
    systemUUID: ""
NODE
}

kube_ready_node_count() {
  local statuses
  statuses="$(kubectl_admin get nodes -l type=kwok --request-timeout 5s \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')" || return 1
  grep -c '^True$' <<< "$statuses" || true
}

kube_all_nodes_ready() { (($(kube_ready_node_count) == ${#KUBE_NODES[@]})); }

# Pods can be created once the nodes are Ready and the default service account exists.
kube_wait_ready() {
  kube_wait 60 kube-kwok kube_all_nodes_ready
  kube_wait 60 kube-controller-manager kubectl_admin get serviceaccount default --namespace default
}
