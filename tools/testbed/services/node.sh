# A real node next to the kwok ones: Debian's containerd (CRI, runc, cgroupfs), and a kubelet and kube-proxy
# (iptables) built from the pinned Kubernetes release, registered with the testbed API server. Tainted: only pods
# that tolerate NODE_TAINT run here, so workloads meant for the kwok nodes never land on it.
# shellcheck shell=bash

NODE_STATE="$TESTBED_DIR/node"
# The API server dials kubelets by their Hostname address; this is the one name that resolves to loopback
# everywhere, so nothing in /etc/hosts has to change.
NODE_NAME=localhost
NODE_TAINT=falco-airgap.dev/real-node
NODE_LABEL=falco-airgap.dev/node=real
# A directory of its own: charts mount the socket's directory into their pods.
NODE_CONTAINERD_SOCK="$NODE_STATE/run/socket/containerd.sock"
NODE_CONTAINERD_ROOT="$NODE_STATE/containerd"
NODE_CONTAINERD_STATE="$NODE_STATE/run/containerd"
NODE_RUNC_ROOT="$NODE_STATE/run/runc"
NODE_KUBELET_ROOT="$NODE_STATE/kubelet"
NODE_POD_LOGS="$NODE_STATE/run/pod-logs"
NODE_CNI_CONF_DIR="$NODE_STATE/cni"
NODE_CNI_IPAM_DIR="$NODE_STATE/run/ipam"
NODE_CNI_BIN_DIR="${FALCO_AIRGAP_NODE_CNI_BIN_DIR:-/usr/lib/cni}"
NODE_BRIDGE=fa-testbed0
NODE_POD_CIDR="${FALCO_AIRGAP_NODE_POD_CIDR:-10.244.100.0/24}"
# The bridge's own address, the pods' gateway: the first address of the pod CIDR, as host-local hands it out.
NODE_GATEWAY="$(IFS=./ read -r a b c d _ <<< "$NODE_POD_CIDR"; echo "$a.$b.$c.$((d + 1))")"
# Pods reach the host only on the bridge; this relay carries them to MinIO, which listens on loopback alone.
NODE_S3_RELAY_PORT="$(port_of NODE_S3_RELAY 9080)"
NODE_CGROUP_ROOT=falco-airgap-testbed
NODE_KUBELET_PORT="$(port_of NODE_KUBELET 10250)"
NODE_KUBELET_HEALTHZ_PORT="$(port_of NODE_KUBELET_HEALTHZ 10248)"
NODE_PROXY_HEALTHZ_PORT="$(port_of NODE_PROXY_HEALTHZ 10256)"
NODE_PROXY_METRICS_PORT="$(port_of NODE_PROXY_METRICS 10249)"
NODE_PAUSE_SOURCE="$REPO_ROOT/tools/testbed/node/pause.c"
NODE_PAUSE_IMAGE=localhost/falco-airgap-testbed/pause:1
# What the kubelet (kernel tunables), the bridge plugin (forwarding) and kube-proxy (conntrack limits, route_localnet:
# its configuration asks it to leave them) may rewrite; recorded on up, restored on down.
NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_tcp_be_liberal)
NODE_SYSCTL_RECORD="$NODE_STATE/sysctl.saved"
# Where the kubelet writes whatever its root dir: device-plugin socket, container log links. Removed on down if up made them.
NODE_HOST_DIRS=(/var/lib/kubelet/device-plugins /var/lib/kubelet /var/log/containers)
NODE_HOST_DIRS_RECORD="$NODE_STATE/host-dirs.created"
# The registries the node pulls from over plain HTTP: the testbed's, under both names tests and charts use.
NODE_PLAIN_REGISTRIES=("127.0.0.1:$(port_of REGISTRY_PLAIN 5000)" "localhost:$(port_of REGISTRY_PLAIN 5000)")

svc_node_up() {
  if node_healthy > /dev/null 2>&1; then node_write_cni_config && node_start_s3_relay && node_start_kube_proxy; return; fi
  node_check_prerequisites
  kube_resolve_binaries
  kube_build_kubernetes kubelet kube-proxy
  kube_apiserver_ready || die "the node needs the API server: run tools/testbed/testbed up kube first"
  NODE_KUBELET_PORT="$(port_claim node NODE_KUBELET 10250 node-kubelet)" || return 1
  NODE_KUBELET_HEALTHZ_PORT="$(port_claim node NODE_KUBELET_HEALTHZ 10248 node-kubelet)" || return 1
  mkdir -p "$NODE_STATE/run" "$NODE_CONTAINERD_ROOT" "$NODE_KUBELET_ROOT" "$NODE_POD_LOGS" "$NODE_CNI_CONF_DIR" "$NODE_CNI_IPAM_DIR"
  node_write_pki
  node_record_host
  node_make_cgroup_root
  node_start_containerd || return 1
  node_import_pause_image
  node_start_kubelet || return 1
  kube_wait 120 node-kubelet node_ready || return 1
  node_start_s3_relay || return 1
  node_start_kube_proxy || return 1
  env_set node TESTBED_NODE_NAME "$NODE_NAME"
  env_set node TESTBED_NODE_TAINT "$NODE_TAINT"
  env_set node TESTBED_NODE_CONTAINERD "$NODE_CONTAINERD_SOCK"
  env_set node TESTBED_NODE_STATE "$NODE_STATE"
  env_set node TESTBED_NODE_BRIDGE "$NODE_BRIDGE"
  env_set node TESTBED_NODE_CGROUP "$NODE_CGROUP_ROOT"
  env_set node TESTBED_NODE_POD_CIDR "$NODE_POD_CIDR"
}

svc_node_down() {
  stop_daemon node-s3-relay
  stop_daemon node-kube-proxy
  node_remove_proxy_rules
  stop_daemon node-kubelet
  node_remove_containers
  stop_daemon node-containerd
  node_kill_leftovers
  unmount_under "$NODE_STATE"
  node_remove_cgroups
  ip link delete "$NODE_BRIDGE" 2> /dev/null || true
  node_restore_host
  node_forget_node
  # Runtime state only: images, the kubelet's certificates and the binaries stay for a warm start.
  if findmnt -rn -o TARGET | grep -qF "$NODE_STATE/"; then
    log "mounts remain under $NODE_STATE; leaving its runtime state in place"
  else
    rm -rf "$NODE_STATE/run" "$NODE_KUBELET_ROOT"
  fi
}

svc_node_status() {
  node_healthy || return 1
  is_running node-s3-relay || { echo "$NODE_NAME: the S3 relay for pods is not running (tools/testbed/testbed up node starts it)"; return 1; }
  node_proxy_healthy || { echo "$NODE_NAME: kube-proxy is not running or its /healthz on 127.0.0.1:$NODE_PROXY_HEALTHZ_PORT is not ok (tools/testbed/testbed up node starts it)"; return 1; }
  echo "$NODE_NAME Ready (kubelet $KUBE_VERSION, kube-proxy iptables, $(node_ctr version 2> /dev/null | awk '/Version:/ { v = $2 } END { print "containerd " v }'), pods $NODE_POD_CIDR, taint $NODE_TAINT, S3 for pods http://$NODE_GATEWAY:$NODE_S3_RELAY_PORT)"
}

node_healthy() {
  is_running node-containerd || { echo "$NODE_NAME: containerd is not running"; return 1; }
  is_running node-kubelet || { echo "$NODE_NAME: kubelet is not running"; return 1; }
  node_kubelet_healthy || { echo "$NODE_NAME: kubelet /healthz on 127.0.0.1:$NODE_KUBELET_HEALTHZ_PORT is not ok"; return 1; }
  kube_resolve_binaries
  node_ready || { echo "$NODE_NAME: node is not Ready"; return 1; }
}

node_ctr() { ctr --address "$NODE_CONTAINERD_SOCK" --namespace k8s.io "$@"; }
node_containerd_ready() { ctr --address "$NODE_CONTAINERD_SOCK" version; }
node_kubelet_healthy() { http_ok "http://127.0.0.1:$NODE_KUBELET_HEALTHZ_PORT/healthz"; }
node_proxy_healthy() { is_running node-kube-proxy && http_ok "http://127.0.0.1:$NODE_PROXY_HEALTHZ_PORT/healthz"; }
node_ready() {
  [[ "$(kubectl_admin get node "$NODE_NAME" --request-timeout 5s \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2> /dev/null)" == True ]]
}

node_check_prerequisites() {
  local cmd plugin
  for cmd in containerd ctr runc ip gcc socat iptables; do
    command -v "$cmd" > /dev/null || die "$cmd not found: apt-get install containerd runc iproute2 gcc libc6-dev socat iptables"
  done
  for plugin in bridge host-local loopback; do
    [[ -x "$NODE_CNI_BIN_DIR/$plugin" ]] || die "CNI plugin $NODE_CNI_BIN_DIR/$plugin not found: apt-get install containernetworking-plugins"
  done
  [[ -d /sys/fs/cgroup/memory ]] || die "the node runs on cgroup v1 (cgroupfs); /sys/fs/cgroup/memory is missing"
}

# The kubelet's client identity (system:node:NAME, as the Node authorizer wants it) and its serving certificate.
node_write_pki() {
  [[ -f "$KUBE_PKI/node-client.crt" ]] || kube_issue_cert node-client "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  [[ -f "$KUBE_PKI/node-serving.crt" ]] || kube_issue_cert node-serving "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:127.0.0.1"
  kube_write_kubeconfig "$NODE_STATE/kubelet.kubeconfig" node-client
  # The API server's requests (logs, exec) reach the kubelet with this identity; the webhook authorizer checks it.
  kubectl_admin apply -f - > /dev/null << YAML || die "could not grant the API server access to the kubelet API"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: falco-airgap-testbed:apiserver-kubelet-client
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:kubelet-api-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: kube-apiserver-kubelet-client
YAML
}

# Only the first up records: a second one after a crash would otherwise take the kubelet's values for the host's.
node_record_host() {
  [[ -s "$NODE_SYSCTL_RECORD" ]] && return 0
  local dir
  for dir in "${NODE_HOST_DIRS[@]}"; do [[ -e "$dir" ]] || echo "$dir"; done > "$NODE_HOST_DIRS_RECORD"
  node_record_sysctls
}

# Each key once, before anything of the node wrote it: a key added to NODE_SYSCTLS is recorded by the next up.
node_record_sysctls() {
  local key value
  touch "$NODE_SYSCTL_RECORD"
  cp "$NODE_SYSCTL_RECORD" "$NODE_SYSCTL_RECORD.tmp"
  for key in "${NODE_SYSCTLS[@]}"; do
    awk -F= -v key="$key" '$1 == key { found = 1 } END { exit !found }' "$NODE_SYSCTL_RECORD" && continue
    # A key this kernel lacks (no conntrack yet) has nothing to restore.
    value="$(sysctl -n "$key" 2> /dev/null)" || continue
    printf '%s=%s\n' "$key" "$value" >> "$NODE_SYSCTL_RECORD.tmp"
  done
  mv "$NODE_SYSCTL_RECORD.tmp" "$NODE_SYSCTL_RECORD"
}

node_restore_host() {
  local line link
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  for link in /var/log/containers/*.log; do
    [[ -L "$link" && "$(readlink "$link")" == "$NODE_POD_LOGS/"* ]] && rm -f "$link"
  done
  if [[ -f "$NODE_HOST_DIRS_RECORD" ]]; then
    while IFS= read -r line; do rmdir "$line" 2> /dev/null || true; done < "$NODE_HOST_DIRS_RECORD"
    rm -f "$NODE_HOST_DIRS_RECORD"
  fi
  [[ -s "$NODE_SYSCTL_RECORD" ]] || return 0
  while IFS= read -r line; do sysctl -qw "$line" || log "could not restore sysctl $line"; done < "$NODE_SYSCTL_RECORD"
  rm -f "$NODE_SYSCTL_RECORD"
}

# Pods live under one cgroup of our own in every v1 hierarchy, so down finds and removes all of them.
node_cgroup_dirs() {
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [[ -d "$hierarchy$NODE_CGROUP_ROOT" ]] && echo "$hierarchy$NODE_CGROUP_ROOT"
  done
  return 0
}

node_make_cgroup_root() {
  local hierarchy dir
  for hierarchy in /sys/fs/cgroup/*/; do
    [[ -f "${hierarchy}cgroup.procs" && ! -f "${hierarchy}cgroup.controllers" ]] || continue
    dir="$hierarchy$NODE_CGROUP_ROOT"
    mkdir -p "$dir"
    # A new cpuset cgroup starts with no CPUs and no memory nodes; tasks cannot join it until they are set.
    if [[ -f "${hierarchy}cpuset.cpus" ]]; then
      cat "${hierarchy}cpuset.cpus" > "$dir/cpuset.cpus"
      cat "${hierarchy}cpuset.mems" > "$dir/cpuset.mems"
    fi
  done
}

node_remove_cgroups() {
  local dir pid
  for _ in 1 2 3 4 5; do
    for dir in $(node_cgroup_dirs); do
      find "$dir" -name cgroup.procs -exec cat {} + 2> /dev/null | while read -r pid; do kill -KILL "$pid" 2> /dev/null || true; done
      find "$dir" -depth -type d -exec rmdir {} + 2> /dev/null || true
    done
    [[ -z "$(node_cgroup_dirs)" ]] && return 0
    sleep 0.2
  done
  log "could not remove cgroups: $(node_cgroup_dirs | tr '\n' ' ')"
}

node_start_containerd() {
  local registry
  for registry in "${NODE_PLAIN_REGISTRIES[@]}"; do
    mkdir -p "$NODE_STATE/registries/$registry"
    printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$registry" "$registry" \
      > "$NODE_STATE/registries/$registry/hosts.toml"
  done
  node_write_cni_config
  node_containerd_config > "$NODE_STATE/containerd.toml"
  rm -f "$NODE_CONTAINERD_SOCK"
  mkdir -p "$(dirname "$NODE_CONTAINERD_SOCK")"
  start_daemon node-containerd containerd --config "$NODE_STATE/containerd.toml"
  kube_wait 30 node-containerd node_containerd_ready
}

# containerd reloads the directory on change: a node that is up takes a new version for its next pod.
node_write_cni_config() {
  local file="$NODE_CNI_CONF_DIR/10-falco-airgap-testbed.conflist"
  node_cni_config > "$file.tmp" || return 1
  if cmp -s "$file.tmp" "$file"; then rm -f "$file.tmp"; else mv "$file.tmp" "$file"; fi
}

# Bridge + host-local only: no masquerade and no default route, so pods reach each other, the host and, through
# kube-proxy on the host, ClusterIP Services; nothing beyond.
node_cni_config() {
  cat << JSON
{
  "cniVersion": "1.0.0",
  "name": "falco-airgap-testbed",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR" }]],
        "routes": [{ "dst": "$KUBE_SERVICE_CIDR" }],
        "dataDir": "$NODE_CNI_IPAM_DIR"
      }
    }
  ]
}
JSON
}

node_containerd_config() {
  cat << TOML
version = 2
root = "$NODE_CONTAINERD_ROOT"
state = "$NODE_CONTAINERD_STATE"
# Snapshotters that would probe for host storage the node does not use.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$NODE_CONTAINERD_SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_STATE/run/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  # This VM withholds CAP_SYS_RESOURCE: runc may only raise a container's oom_score_adj, never lower it.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$NODE_RUNC_ROOT"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$NODE_CNI_BIN_DIR"
    conf_dir = "$NODE_CNI_CONF_DIR"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$NODE_STATE/registries"
TOML
}

# node_pause_build: the sandbox image, a static binary of our own in an OCI layout tarball; prints its path.
node_pause_build() {
  local hash dir
  hash="$(sha256sum "$NODE_PAUSE_SOURCE" | cut -c1-16)"
  dir="$TESTBED_CACHE/pause/$hash"
  if [[ ! -s "$dir/pause.oci.tar" ]]; then
    rm -rf "$dir" && mkdir -p "$dir/rootfs" "$dir/layout/blobs/sha256"
    gcc -static -Os -s -o "$dir/rootfs/pause" "$NODE_PAUSE_SOURCE" || die "gcc could not build the pause binary (apt-get install gcc libc6-dev)"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir/rootfs" -cf "$dir/layer.tar" pause
    local layer config manifest
    layer="$(node_blob "$dir" < "$dir/layer.tar")"
    config="$(printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$layer" | node_blob "$dir")"
    manifest="$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
      "$config" "$(node_blob_size "$dir" "$config")" "$layer" "$(node_blob_size "$dir" "$layer")" | node_blob "$dir")"
    printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/layout/oci-layout"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
      "$manifest" "$(node_blob_size "$dir" "$manifest")" "$NODE_PAUSE_IMAGE" "${NODE_PAUSE_IMAGE##*:}" > "$dir/layout/index.json"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir/layout" -cf "$dir/pause.oci.tar.tmp" .
    mv "$dir/pause.oci.tar.tmp" "$dir/pause.oci.tar"
  fi
  echo "$dir/pause.oci.tar"
}

# node_blob DIR < CONTENT: store stdin as a blob of DIR's OCI layout; prints its sha256 hex.
node_blob() {
  local tmp="$1/blob.tmp" hex
  cat > "$tmp"
  hex="$(sha256sum "$tmp" | cut -d' ' -f1)"
  mv "$tmp" "$1/layout/blobs/sha256/$hex"
  echo "$hex"
}
node_blob_size() { stat -c %s "$1/layout/blobs/sha256/$2"; }

node_import_pause_image() {
  node_ctr images ls -q | grep -qxF "$NODE_PAUSE_IMAGE" && return 0
  node_ctr images import "$(node_pause_build)" > /dev/null || die "containerd could not import the pause image"
}

node_start_kubelet() {
  # No DNS server for pods: they have no route off the node anyway.
  : > "$NODE_STATE/resolv.conf"
  cat > "$NODE_STATE/kubelet.yaml" << YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $NODE_KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $NODE_KUBELET_HEALTHZ_PORT
tlsCertFile: $KUBE_PKI/node-serving.crt
tlsPrivateKeyFile: $KUBE_PKI/node-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $KUBE_PKI/ca.crt }
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$NODE_CONTAINERD_SOCK
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP_ROOT
podLogsDir: $NODE_POD_LOGS
resolvConf: $NODE_STATE/resolv.conf
registerWithTaints:
  - { key: $NODE_TAINT, effect: NoSchedule }
# The kubelet's own chains serve nothing here; kube-proxy's are the only ones, and down removes them.
makeIPTablesUtilChains: false
# Lowering its own oom_score_adj needs CAP_SYS_RESOURCE, which this VM withholds.
oomScoreAdj: 0
# Other tenants fill the shared disk; the node must not start evicting or deleting images because of them.
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
imageGCHighThresholdPercent: 100
serializeImagePulls: false
YAML
  start_daemon node-kubelet "$KUBE_BIN/kubelet" \
    --config "$NODE_STATE/kubelet.yaml" \
    --kubeconfig "$NODE_STATE/kubelet.kubeconfig" \
    --root-dir "$NODE_KUBELET_ROOT" \
    --hostname-override "$NODE_NAME" \
    --node-labels "$NODE_LABEL" \
    --v 1
  kube_wait 60 node-kubelet node_kubelet_healthy
}

# node_start_kube_proxy: ClusterIP Services for the node's pods, in iptables. Every Service connection is masqueraded
# to the bridge's address, so a backend on the same bridge answers through the host (no br_netfilter needed).
node_start_kube_proxy() {
  node_proxy_healthy > /dev/null 2>&1 && return 0
  stop_daemon node-kube-proxy
  kube_resolve_binaries
  kube_build_kubernetes kube-proxy
  NODE_PROXY_HEALTHZ_PORT="$(port_claim node NODE_PROXY_HEALTHZ 10256 node-kube-proxy)" || return 1
  NODE_PROXY_METRICS_PORT="$(port_claim node NODE_PROXY_METRICS 10249 node-kube-proxy)" || return 1
  # Bound by the ClusterRoleBinding system:node-proxier that every cluster has.
  [[ -f "$KUBE_PKI/node-proxy-client.crt" ]] || kube_issue_cert node-proxy-client "/CN=system:kube-proxy" clientAuth
  kube_write_kubeconfig "$NODE_STATE/kube-proxy.kubeconfig" node-proxy-client
  cat > "$NODE_STATE/kube-proxy.yaml" << YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $NODE_STATE/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
mode: iptables
healthzBindAddress: 127.0.0.1:$NODE_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$NODE_PROXY_METRICS_PORT
clusterCIDR: $NODE_POD_CIDR
detectLocalMode: ClusterCIDR
iptables:
  masqueradeAll: true
  # route_localnet stays as the host has it.
  localhostNodePorts: false
# NodePorts only on the pods' gateway: the host's own addresses stay untouched.
nodePortAddresses: [$NODE_GATEWAY/32]
# The host's conntrack limits and timeouts stay as they are (zero: leave alone).
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
# Lowering its own oom_score_adj needs CAP_SYS_RESOURCE, which this VM withholds.
oomScoreAdj: 0
YAML
  node_record_sysctls
  start_daemon node-kube-proxy "$KUBE_BIN/kube-proxy" --config "$NODE_STATE/kube-proxy.yaml" --v 1
  kube_wait 60 node-kube-proxy node_proxy_healthy
}

# kube-proxy's chains (KUBE-*, both IP families) and the jumps into them; its own cleanup knows every mode's leftovers.
node_remove_proxy_rules() {
  kube_resolve_binaries
  if [[ -x "$KUBE_BIN/kube-proxy" ]]; then
    "$KUBE_BIN/kube-proxy" --cleanup >> "$TESTBED_DIR/log/node-kube-proxy.log" 2>&1 || log "kube-proxy --cleanup failed; see $TESTBED_DIR/log/node-kube-proxy.log"
  fi
  # The cleanup keeps KUBE-FIREWALL as the kubelet's; this node's kubelet makes none, so kube-proxy's copy goes too.
  local ipt hook
  for ipt in iptables ip6tables; do
    command -v "$ipt" > /dev/null || continue
    for hook in INPUT OUTPUT; do
      while "$ipt" -w 5 -t filter -D "$hook" -j KUBE-FIREWALL 2> /dev/null; do :; done
    done
    if "$ipt" -w 5 -t filter -F KUBE-FIREWALL 2> /dev/null; then
      "$ipt" -w 5 -t filter -X KUBE-FIREWALL || log "could not delete the $ipt chain KUBE-FIREWALL"
    fi
  done
}

# node_start_s3_relay: MinIO for pods at the bridge's address, accepting pod addresses only; restarted when S3 moved.
node_start_s3_relay() {
  local target spec="$NODE_STATE/run/s3-relay.target"
  target="127.0.0.1:$(port_of S3 9000)"
  if is_running node-s3-relay && [[ "$(cat "$spec" 2> /dev/null)" == "$target" ]]; then return 0; fi
  stop_daemon node-s3-relay
  NODE_S3_RELAY_PORT="$(port_claim node NODE_S3_RELAY 9080 node-s3-relay)" || return 1
  node_make_bridge || return 1
  echo "$target" > "$spec"
  start_daemon node-s3-relay socat \
    "TCP4-LISTEN:$NODE_S3_RELAY_PORT,bind=$NODE_GATEWAY,reuseaddr,fork,range=$NODE_POD_CIDR" "TCP4:$target,connect-timeout=5"
  wait_until 10 "S3 relay $NODE_GATEWAY:$NODE_S3_RELAY_PORT" port_listening "$NODE_S3_RELAY_PORT" \
    || { tail -n 5 "$TESTBED_DIR/log/node-s3-relay.log" >&2; return 1; }
  env_set node TESTBED_NODE_S3_ENDPOINT "http://$NODE_GATEWAY:$NODE_S3_RELAY_PORT"
}

# The relay binds the gateway address before any pod exists; the bridge plugin adopts a bridge that already holds it.
node_make_bridge() {
  ip link show "$NODE_BRIDGE" > /dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge || return 1
  ip -4 addr show dev "$NODE_BRIDGE" | grep -qF " $NODE_GATEWAY/" \
    || ip addr add "$NODE_GATEWAY/${NODE_POD_CIDR#*/}" dev "$NODE_BRIDGE" || return 1
  ip link set "$NODE_BRIDGE" up
}

# Containers stopped through containerd first, so the shims exit and clean up after themselves.
node_remove_containers() {
  is_running node-containerd && node_containerd_ready > /dev/null 2>&1 || return 0
  local id
  for id in $(node_ctr tasks ls -q 2> /dev/null); do node_ctr tasks kill --signal SIGKILL "$id" > /dev/null 2>&1 || true; done
  for id in $(node_ctr tasks ls -q 2> /dev/null); do node_ctr tasks delete --force "$id" > /dev/null 2>&1 || true; done
  for id in $(node_ctr containers ls -q 2> /dev/null); do node_ctr containers delete "$id" > /dev/null 2>&1 || true; done
}

# Shims are reparented away from containerd's session; find ours by the socket they name.
node_kill_leftovers() {
  local cmdline pid
  for cmdline in /proc/[0-9]*/cmdline; do
    pid="${cmdline#/proc/}"; pid="${pid%/cmdline}"
    if { tr '\0' ' ' < "$cmdline"; } 2> /dev/null | grep -qF -- "$NODE_CONTAINERD_SOCK"; then kill -KILL "$pid" 2> /dev/null || true; fi
  done
}

# Pods of a node that is gone would stay bound to it; the pod garbage collector removes them once the Node is.
node_forget_node() {
  kube_resolve_binaries
  [[ -x "$KUBECTL" ]] && kube_apiserver_ready 2> /dev/null || return 0
  kubectl_admin delete node "$NODE_NAME" --ignore-not-found --request-timeout 10s > /dev/null 2>&1 || true
}
