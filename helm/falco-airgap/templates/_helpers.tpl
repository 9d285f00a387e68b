{{/* Names */}}
{{- define "falco-airgap.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "falco-airgap.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "falco-airgap.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{- define "falco-airgap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "falco-airgap.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels */}}
{{- define "falco-airgap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falco-airgap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "falco-airgap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "falco-airgap.selectorLabels" . }}
app.kubernetes.io/version: {{ include "falco-airgap.falcoVersion" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: falco-airgap
{{- end }}

{{/* The Falco version the release runs: gates legacy options and tags the images. */}}
{{- define "falco-airgap.falcoVersion" -}}
{{- default .Chart.AppVersion .Values.falcoVersion }}
{{- end }}

{{/*
An image reference from one image block: global.imageRegistry replaces the block's registry, a
digest replaces the tag, and an empty tag means the Falco version.
Call with (dict "image" .Values.image "root" $).
*/}}
{{- define "falco-airgap.image" -}}
{{- $image := .image }}
{{- $registry := default $image.registry .root.Values.global.imageRegistry }}
{{- if $image.digest }}
{{- printf "%s/%s@%s" $registry $image.repository $image.digest }}
{{- else }}
{{- printf "%s/%s:%s" $registry $image.repository (default (include "falco-airgap.falcoVersion" .root) $image.tag) }}
{{- end }}
{{- end }}

{{/* The image of the Falco container: under pluginStrategy s3 the loader image, which starts Falco itself. */}}
{{- define "falco-airgap.falcoImageValues" -}}
{{- if eq .Values.pluginStrategy "s3" }}{{ toJson .Values.s3.image }}{{ else }}{{ toJson .Values.image }}{{ end }}
{{- end }}

{{/* "true" when the chart runs the driver on the node (a DaemonSet with a driver). */}}
{{- define "falco-airgap.nodeAgent" -}}
{{- if and (eq .Values.controller.kind "daemonset") .Values.driver.enabled }}true{{ end }}
{{- end }}

{{/* "true" when the chart configures the container plugin itself; rules.ts containerPluginManaged says the same. */}}
{{- define "falco-airgap.containerPlugin" -}}
{{- if and .Values.collectors.containerEngine.enabled (include "falco-airgap.nodeAgent" .) }}true{{ end }}
{{- end }}

{{/* "true" when a driver loader init container installs the kernel module or the legacy probe. */}}
{{- define "falco-airgap.driverLoader" -}}
{{- if and (include "falco-airgap.nodeAgent" .) .Values.driver.loader.enabled (has .Values.driver.kind (list "kmod" "auto" "ebpf")) }}true{{ end }}
{{- end }}

{{/* "true" when an emptyDir replaces the image's plugin directory (sidecar and s3 fill it). */}}
{{- define "falco-airgap.pluginVolume" -}}
{{- if has .Values.pluginStrategy (list "sidecar" "s3") }}true{{ end }}
{{- end }}

{{/* "true" when the webserver Service exists. */}}
{{- define "falco-airgap.webService" -}}
{{- if and .Values.service.enabled .Values.falco.webserver.enabled }}true{{ end }}
{{- end }}

{{/* Sorted unique host directories holding the sockets of the enabled container engines. */}}
{{- define "falco-airgap.socketDirs" -}}
{{- $dirs := list }}
{{- range $name, $engine := .Values.collectors.containerEngine.engines }}
{{- if $engine.enabled }}
{{- range $engine.sockets }}
{{- $dirs = append $dirs (dir .) }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson ($dirs | uniq | sortAlpha) }}
{{- end }}

{{/* The security context of the Falco container, from driver.* unless containerSecurityContext replaces it. */}}
{{- define "falco-airgap.falcoSecurityContext" -}}
{{- if .Values.containerSecurityContext }}
{{- toYaml .Values.containerSecurityContext }}
{{- else if not (include "falco-airgap.nodeAgent" .) }}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- else if and (eq .Values.driver.kind "modern_ebpf") .Values.driver.modernEbpf.leastPrivileged }}
privileged: false
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
  add: [BPF, PERFMON, SYS_RESOURCE, SYS_PTRACE]
{{- /* bpf() and perf_event_open() are outside the runtime's default seccomp and AppArmor profiles. */}}
seccompProfile:
  type: Unconfined
appArmorProfile:
  type: Unconfined
{{- else if and (eq .Values.driver.kind "ebpf") .Values.driver.ebpf.leastPrivileged }}
privileged: false
capabilities:
  drop: [ALL]
  add: [SYS_ADMIN, SYS_RESOURCE, SYS_PTRACE]
seccompProfile:
  type: Unconfined
appArmorProfile:
  type: Unconfined
{{- else }}
privileged: true
{{- end }}
{{- end }}

{{/* Name of a port of services[]: its own name, else protocol-port (port names are limited to 15 characters). */}}
{{- define "falco-airgap.servicePortName" -}}
{{- default (printf "%s-%v" (default "TCP" .protocol | lower) .port) .name }}
{{- end }}
