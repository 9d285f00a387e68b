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
digest replaces the tag, and an empty tag means the Falco version (or "defaultTag" when given).
Call with (dict "image" .Values.image "root" $).
*/}}
{{- define "falco-airgap.image" -}}
{{- $image := .image }}
{{- if $image.digest }}
{{- printf "%s@%s" (include "falco-airgap.imageRepository" .) $image.digest }}
{{- else }}
{{- printf "%s:%s" (include "falco-airgap.imageRepository" .) (default (default (include "falco-airgap.falcoVersion" .root) .defaultTag) $image.tag) }}
{{- end }}
{{- end }}

{{/* registry/repository of an image block, as Falco's container.image.repository names it. Call as falco-airgap.image. */}}
{{- define "falco-airgap.imageRepository" -}}
{{- printf "%s/%s" (default .image.registry .root.Values.global.imageRegistry) .image.repository }}
{{- end }}

{{/* The Falcosidekick release of an empty falcosidekick.image.tag; FALCOSIDEKICK_VERSION in packages/helm-values-schema says the same. */}}
{{- define "falco-airgap.falcosidekick.defaultTag" -}}2.34.1{{- end }}

{{/* Falcosidekick: its object names and labels, apart from Falco's so neither selector matches the other's pods. */}}
{{- define "falco-airgap.falcosidekick.fullname" -}}
{{- printf "%s-falcosidekick" (include "falco-airgap.fullname" . | trunc 49 | trimSuffix "-") }}
{{- end }}

{{- define "falco-airgap.falcosidekick.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falco-airgap.name" . | trunc 49 | trimSuffix "-" }}-falcosidekick
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "falco-airgap.falcosidekick.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "falco-airgap.falcosidekick.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.falcosidekick.image.tag | default (include "falco-airgap.falcosidekick.defaultTag" .) | quote }}
app.kubernetes.io/component: falcosidekick
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: falco-airgap
{{- end }}

{{/* The Secret holding the cluster token Falcosidekick sends to the ingestor: an existing one, or the chart's from ingestor.token. */}}
{{- define "falco-airgap.falcosidekick.tokenSecret" -}}
{{- default (printf "%s-token" (include "falco-airgap.falcosidekick.fullname" .)) .Values.falcosidekick.ingestor.tokenSecret.name }}
{{- end }}

{{/* "true" when Falcosidekick posts to the event ingestor (no customWebhook). */}}
{{- define "falco-airgap.falcosidekick.toIngestor" -}}
{{- if and .Values.falcosidekick.enabled (not .Values.falcosidekick.customWebhook.address) }}true{{ end }}
{{- end }}

{{/* The URL Falco's http_output posts to: the Falcosidekick Service. */}}
{{- define "falco-airgap.falcosidekick.url" -}}
{{- printf "http://%s.%s.svc:%v/" (include "falco-airgap.falcosidekick.fullname" .) (include "falco-airgap.namespace" .) .Values.falcosidekick.service.port }}
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
{{- if and .Values.collectors.enabled .Values.collectors.containerEngine.enabled (include "falco-airgap.nodeAgent" .) }}true{{ end }}
{{- end }}

{{/* "true" when the chart adds the k8smeta plugin; rules.ts kubernetesPluginManaged says the same. */}}
{{- define "falco-airgap.kubernetesPlugin" -}}
{{- if and .Values.collectors.enabled .Values.collectors.kubernetes.enabled (include "falco-airgap.nodeAgent" .) }}true{{ end }}
{{- end }}

{{/* "true" when the plugin strategy delivers the rules files of the lock next to the plugins. */}}
{{- define "falco-airgap.lockedRules" -}}
{{- if and .Values.lockedRules.enabled (include "falco-airgap.pluginVolume" .) }}true{{ end }}
{{- end }}

{{/* "true" when the host's sysfs path (driver.sysfsMountPath) is mounted: tracefs for the TOCTOU mitigation, debugfs for the legacy probe. */}}
{{- define "falco-airgap.sysKernelMount" -}}
{{- $d := .Values.driver }}
{{- if and (include "falco-airgap.nodeAgent" .) (or (eq $d.kind "ebpf") (and (has $d.kind (list "modern_ebpf" "auto")) $d.modernEbpf.sysfsMount)) }}true{{ end }}
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

{{/*
The runtime sockets to mount, as host paths sorted and unique: the socket's directory, or the socket
file alone when it sits directly in /run or /var/run (mounting those would expose every runtime's state).
*/}}
{{- define "falco-airgap.socketMounts" -}}
{{- $paths := list }}
{{- range $name := list "docker" "podman" "containerd" "cri" }}
{{- $engine := get $.Values.collectors.containerEngine.engines $name }}
{{- if $engine.enabled }}
{{- range $engine.sockets }}
{{- $dir := dir . }}
{{- $paths = append $paths (ternary . $dir (has $dir (list "/" "/run" "/var/run"))) }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson ($paths | uniq | sortAlpha) }}
{{- end }}

{{/* Pull secrets of the pods: global.imagePullSecrets, then the upstream chart's imagePullSecrets. */}}
{{- define "falco-airgap.imagePullSecrets" -}}
{{- toJson (concat .Values.global.imagePullSecrets .Values.imagePullSecrets | uniq) }}
{{- end }}

{{/*
The Falco container's command: Falco itself, or under pluginStrategy s3 the loader's entrypoint, which
installs from S3 and then runs the rest; either way the container's args are Falco's own arguments.
*/}}
{{- define "falco-airgap.falcoCommand" -}}
{{- if eq .Values.pluginStrategy "s3" }}
{{- toJson (list "/usr/bin/falco-s3-loader-entrypoint" "/usr/bin/falco") }}
{{- else }}
{{- toJson (list "/usr/bin/falco") }}
{{- end }}
{{- end }}

{{/* extra.env through tpl, as a list (the upstream chart renders it the same way). */}}
{{- define "falco-airgap.extraEnv" -}}
{{- if .Values.extra.env }}
{{- tpl (toYaml .Values.extra.env) . | fromYamlArray | toJson }}
{{- else }}[]{{ end }}
{{- end }}

{{/* The driver loader's image values: driver.loader.initContainer.image, the Falco image where it is empty. */}}
{{- define "falco-airgap.driverLoaderImageValues" -}}
{{- $own := .Values.driver.loader.initContainer.image }}
{{- if $own.repository }}
{{- toJson (dict "registry" (default .Values.image.registry $own.registry) "repository" $own.repository "tag" $own.tag "digest" $own.digest "pullPolicy" $own.pullPolicy) }}
{{- else }}
{{- toJson .Values.image }}
{{- end }}
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
