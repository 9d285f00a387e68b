{{/*
falco.yaml as a dict: the user's falco.* values, plus what the chart owns (engine from driver.*,
metrics from metrics.*, the container plugin from collectors.*, the customRules files in byte order).
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

{{- $_ := set $config "config_files" (prepend $v.falco.config_files "/etc/falco/config.d") }}

{{- $rulesFiles := $v.falco.rules_files }}
{{- range $name := keys $v.customRules | sortAlpha }}
{{- $rulesFiles = append $rulesFiles (printf "/etc/falco/rules.d/%s" $name) }}
{{- end }}
{{- $_ := set $config "rules_files" $rulesFiles }}

{{- $_ := set $config "engine" (include "falco-airgap.engine" . | fromYaml) }}

{{- $plugins := $v.falco.plugins }}
{{- $load := $v.falco.load_plugins }}
{{- if include "falco-airgap.containerPlugin" . }}
{{- $plugins = append $plugins (include "falco-airgap.containerPluginEntry" . | fromYaml) }}
{{- $load = append $load "container" }}
{{- end }}
{{- $_ := set $config "plugins" $plugins }}
{{- $_ := set $config "load_plugins" $load }}

{{- $webserver := deepCopy $v.falco.webserver }}
{{- $_ := set $webserver "prometheus_metrics_enabled" $v.metrics.enabled }}
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
  "libbpf_stats_enabled" $m.libbpfStatsEnabled
  "plugins_metrics_enabled" $m.pluginsMetricsEnabled
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
{{- if eq $d.kind "auto" }}
kmod:
  buf_size_preset: {{ $d.kmod.bufSizePreset }}
  drop_failed_exit: {{ $d.kmod.dropFailedExit }}
{{- end }}
{{- end }}
{{- end }}

{{/* The container plugin, reading the runtime sockets the pod mounts under /host. */}}
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
      sockets:
        {{- range $engine.sockets }}
        - {{ printf "/host%s" . | quote }}
        {{- end }}
    {{- end }}
    lxc:
      enabled: false
    libvirt_lxc:
      enabled: false
    bpm:
      enabled: false
{{- end }}
