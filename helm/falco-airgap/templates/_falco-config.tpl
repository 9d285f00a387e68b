{{/*
falco.yaml as a dict: the user's falco.* values, plus what the chart owns (engine from driver.*,
metrics from metrics.*, the container and k8smeta plugins from collectors.*, and rules_files with the
customRules files and the rules files of the lock in their places).
*/}}
{{- define "falco-airgap.falcoConfig" -}}
{{- $v := .Values }}
{{- $version := include "falco-airgap.falcoVersion" . }}
{{- $config := deepCopy $v.falco }}
{{- /* Removed in Falco 0.44: leave them out of falco.yaml for the releases that no longer read them. */}}
{{- if semverCompare ">=0.44.0-0" $version }}
{{- $_ := unset $config "grpc" }}
{{- $_ := unset $config "grpc_output" }}
{{- end }}
{{- range $key := list "grpc" "grpc_output" "capture" }}
{{- if not (get $config $key) }}{{ $_ := unset $config $key }}{{ end }}
{{- end }}

{{- $_ := set $config "config_files" (prepend $v.falco.config_files "/etc/falco/config.d" | uniq) }}

{{- $_ := set $config "rules_files" (include "falco-airgap.rulesFiles" . | fromJsonArray) }}

{{- /* Every alert goes to Falcosidekick as JSON. */}}
{{- if $v.falcosidekick.enabled }}
{{- $_ := set $config "json_output" true }}
{{- $_ := set $config "json_include_output_property" true }}
{{- $_ := set $config "http_output" (merge (dict "enabled" true "url" (include "falco-airgap.falcosidekick.url" .)) (deepCopy $v.falco.http_output)) }}
{{- end }}

{{- $_ := set $config "engine" (include "falco-airgap.engine" . | fromYaml) }}

{{- $plugins := $v.falco.plugins }}
{{- $load := $v.falco.load_plugins }}
{{- if include "falco-airgap.containerPlugin" . }}
{{- $plugins = append $plugins (include "falco-airgap.containerPluginEntry" . | fromYaml) }}
{{- $load = append $load "container" }}
{{- end }}
{{- if include "falco-airgap.kubernetesPlugin" . }}
{{- $defined := list }}
{{- range $v.falco.plugins }}{{ $defined = append $defined .name }}{{ end }}
{{- if not (has "k8smeta" $defined) }}
{{- $plugins = append $plugins (include "falco-airgap.kubernetesPluginEntry" . | fromYaml) }}
{{- end }}
{{- if not (has "k8smeta" $load) }}
{{- $load = append $load "k8smeta" }}
{{- end }}
{{- end }}
{{- $_ := set $config "plugins" $plugins }}
{{- $_ := set $config "load_plugins" $load }}

{{- $webserver := deepCopy $v.falco.webserver }}
{{- $_ := set $webserver "prometheus_metrics_enabled" (or $v.metrics.enabled $v.falco.webserver.prometheus_metrics_enabled) }}
{{- $_ := set $config "webserver" $webserver }}

{{- $m := $v.metrics }}
{{- $_ := set $config "metrics" (dict
  "enabled" $m.enabled
  "interval" $m.interval
  "output_rule" $m.outputRule
  "rules_counters_enabled" $m.rulesCountersEnabled
  "resource_utilization_enabled" $m.resourceUtilizationEnabled
  "state_counters_enabled" $m.stateCountersEnabled
  "kernel_event_counters_enabled" $m.kernelEventCountersEnabled
  "kernel_event_counters_per_cpu_enabled" $m.kernelEventCountersPerCPUEnabled
  "libbpf_stats_enabled" $m.libbpfStatsEnabled
  "plugins_metrics_enabled" $m.pluginsMetricsEnabled
  "kernel_iter_event_counters_enabled" $m.kernelIterEventCountersEnabled
  "jemalloc_stats_enabled" $m.jemallocStatsEnabled
  "convert_memory_to_mb" $m.convertMemoryToMB
  "include_empty_values" $m.includeEmptyValues) }}
{{- toYaml $config }}
{{- end }}

{{/* The engine block of falco.yaml for driver.kind. */}}
{{- define "falco-airgap.engine" -}}
{{- $d := .Values.driver }}
{{- if not $d.enabled }}
kind: nodriver
{{- else if eq $d.kind "kmod" }}
kind: kmod
kmod:
  buf_size_preset: {{ $d.kmod.bufSizePreset }}
  drop_failed_exit: {{ $d.kmod.dropFailedExit }}
{{- else if eq $d.kind "ebpf" }}
kind: ebpf
ebpf:
  probe: {{ $d.ebpf.path | quote }}
  buf_size_preset: {{ $d.ebpf.bufSizePreset }}
  drop_failed_exit: {{ $d.ebpf.dropFailedExit }}
{{- else if eq $d.kind "gvisor" }}
kind: gvisor
gvisor:
  config: {{ printf "/host%s" $d.gvisor.runsc.config | quote }}
  root: {{ printf "/host%s/k8s.io" $d.gvisor.runsc.root | quote }}
{{- else }}
{{- /* modern_ebpf, and auto before falcoctl's choice in /etc/falco/config.d overrides the kind. */}}
kind: modern_ebpf
modern_ebpf:
  buf_size_preset: {{ $d.modernEbpf.bufSizePreset }}
  cpus_for_each_buffer: {{ $d.modernEbpf.cpusForEachBuffer }}
  drop_failed_exit: {{ $d.modernEbpf.dropFailedExit }}
  disable_iterators: {{ $d.modernEbpf.disableIterators }}
{{- if eq $d.kind "auto" }}
kmod:
  buf_size_preset: {{ $d.kmod.bufSizePreset }}
  drop_failed_exit: {{ $d.kmod.dropFailedExit }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The container plugin. Sockets are written as paths on the node: the plugin prefixes HOST_ROOT (/host,
where the pod mounts them) itself and skips the sockets that do not exist.
*/}}
{{- define "falco-airgap.containerPluginEntry" -}}
{{- $c := .Values.collectors.containerEngine }}
name: container
library_path: libcontainer.so
init_config:
  label_max_len: {{ $c.labelMaxLen }}
  with_size: {{ $c.withSize }}
  hooks: {{ toJson $c.hooks }}
  engines:
    {{- range $name, $engine := $c.engines }}
    {{ $name }}:
      enabled: {{ $engine.enabled }}
      {{- if hasKey $engine "sockets" }}
      sockets: {{ toJson $engine.sockets }}
      {{- end }}
    {{- end }}
{{- end }}

{{/* The k8smeta plugin, asking the k8s-metacollector for the metadata of the pods on this node. */}}
{{- define "falco-airgap.kubernetesPluginEntry" -}}
{{- $k := .Values.collectors.kubernetes }}
{{- $collector := ternary .Release.Name (printf "%s-k8s-metacollector" .Release.Name) (contains "k8s-metacollector" .Release.Name) }}
name: k8smeta
library_path: libk8smeta.so
init_config:
  collectorHostname: {{ default (printf "%s.%s.svc" $collector (include "falco-airgap.namespace" .)) $k.collectorHostname | quote }}
  collectorPort: {{ default 45000 $k.collectorPort }}
  {{- /* Falco expands ${...} in falco.yaml from its environment. */}}
  nodeName: "${FALCO_K8S_NODE_NAME}"
  verbosity: {{ $k.verbosity }}
  hostProc: {{ $k.hostProc | quote }}
{{- end }}

{{/*
rules_files in load order: the user's list, with /etc/falco/rules.d standing for the customRules files
(byte order; appended when not listed) and the rules files of the lock where the locked-rules directory
is listed, else in place of /etc/falco/falco_rules.yaml when lockedRules.files names them (right after
it when it lists the directory), else first; our overrides right after the
rules files of the lock; then, last, one directory per customRulesConfigMaps entry in byte order of
their names (sortAlpha is Go's sort.Strings: strings.Compare order). A JSON list.
*/}}
{{- define "falco-airgap.rulesFiles" -}}
{{- $v := .Values }}
{{- $lockedDir := "/etc/falco/locked-rules.d" }}
{{- $custom := list }}
{{- range $name := keys $v.customRules | sortAlpha }}
{{- $custom = append $custom (printf "/etc/falco/rules.d/%s" $name) }}
{{- end }}
{{- $locked := list }}
{{- if include "falco-airgap.lockedRules" . }}
{{- range $v.lockedRules.files }}{{ $locked = append $locked (printf "%s/%s" $lockedDir .) }}{{ end }}
{{- if not $locked }}{{ $locked = list $lockedDir }}{{ end }}
{{- end }}
{{- $listed := list }}
{{- range $v.falco.rules_files }}{{ $listed = append $listed (trimSuffix "/" .) }}{{ end }}
{{- /* Rule sets named one by one are the environment's choice: they replace the image's copy of falco_rules.yaml. */}}
{{- $replaceImageRules := and (include "falco-airgap.lockedRules" .) $v.lockedRules.files (not (has $lockedDir $listed)) }}
{{- if $v.rulesOverrides.enabled }}
{{- $locked = append $locked "/etc/falco/rules.overrides.d/falco-airgap_overrides.yaml" }}
{{- end }}
{{- $rules := list }}
{{- $customPlaced := false }}
{{- $lockedPlaced := empty $locked }}
{{- range $file := $v.falco.rules_files }}
{{- $path := trimSuffix "/" $file }}
{{- if eq $path "/etc/falco/rules.d" }}
{{- if not $customPlaced }}{{ $rules = concat $rules $custom }}{{ $customPlaced = true }}{{ end }}
{{- else if eq $path $lockedDir }}
{{- if not $lockedPlaced }}{{ $rules = concat $rules $locked }}{{ $lockedPlaced = true }}{{ end }}
{{- else if and (eq $path "/etc/falco/falco_rules.yaml") $replaceImageRules }}
{{- if not $lockedPlaced }}{{ $rules = concat $rules $locked }}{{ $lockedPlaced = true }}{{ end }}
{{- else }}
{{- $rules = append $rules $file }}
{{- if and (eq $path "/etc/falco/falco_rules.yaml") (not $lockedPlaced) (not (has $lockedDir $listed)) }}
{{- $rules = concat $rules $locked }}{{ $lockedPlaced = true }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $lockedPlaced }}{{ $rules = concat $locked $rules }}{{ end }}
{{- if not $customPlaced }}{{ $rules = concat $rules $custom }}{{ end }}
{{- range $name := $v.customRulesConfigMaps | sortAlpha }}
{{- $rules = append $rules (printf "/etc/falco/rules.configmaps.d/%s" $name) }}
{{- end }}
{{- toJson $rules }}
{{- end }}

{{/*
falco-airgap's overrides of falco-rules: exceptions appended to upstream rules and lists, never a
replaced condition, so an upstream fix still applies. Loaded right after the rules files of the lock.
*/}}
{{- define "falco-airgap.rulesOverrides" -}}
{{- $falcoImages := list (include "falco-airgap.imageRepository" (dict "image" .Values.image "root" $)) (include "falco-airgap.imageRepository" (dict "image" .Values.s3.image "root" $)) }}
# Falco run from this chart's own images is Falco: the rules that trust falco_containers trust them too.
- list: falco_containers
  items: {{ toJson $falcoImages }}
  override:
    items: append

# Amazon EKS add-ons that run outside kube-system (already trusted) and call the API server by design.
- rule: Contact K8S API Server From Container
  exceptions:
    - name: falco_airgap_eks_addons
      fields: [k8s.ns.name, container.image.repository]
      comps: [=, endswith]
      values:
        - [karpenter, /karpenter/controller]
        - [amazon-cloudwatch, /cloudwatch-agent]
        - [amazon-cloudwatch, /aws-for-fluent-bit]
  override:
    exceptions: append
{{- end }}
