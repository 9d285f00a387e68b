{{/* The Falco pod, shared by the DaemonSet and the Deployment. */}}
{{- define "falco-airgap.podTemplate" -}}
{{- $v := .Values }}
{{- $nodeAgent := include "falco-airgap.nodeAgent" . }}
{{- $falcoImage := include "falco-airgap.falcoImageValues" . | fromJson }}
{{- $kind := $v.driver.kind }}
{{- $kernelBuild := and $nodeAgent (has $kind (list "kmod" "auto" "ebpf")) }}
{{- $lockedRules := include "falco-airgap.lockedRules" . }}
{{- $lockedRulesDir := "/etc/falco/locked-rules.d" }}
{{- $serverCerts := or $v.certs.existingSecret (and $v.certs.server.key $v.certs.server.crt $v.certs.ca.crt) }}
{{- $clientCerts := or $v.certs.existingClientSecret (and $v.certs.client.key $v.certs.client.crt $v.certs.ca.crt) }}
metadata:
  labels:
    {{- include "falco-airgap.selectorLabels" . | nindent 4 }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    checksum/rules: {{ include (print $.Template.BasePath "/rules-configmap.yaml") . | sha256sum }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $v.podHostname }}
  hostname: {{ . }}
  {{- end }}
  serviceAccountName: {{ include "falco-airgap.serviceAccountName" . }}
  automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
  {{- with $v.podPriorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- if and $nodeAgent (eq $kind "ebpf") $v.driver.ebpf.hostNetwork }}
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  {{- with $v.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with include "falco-airgap.imagePullSecrets" . | fromJsonArray }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  {{- $initContainers := or (include "falco-airgap.driverLoader" .) (eq $v.pluginStrategy "sidecar") $v.extra.initContainers }}
  {{- if $initContainers }}
  initContainers:
    {{- if include "falco-airgap.driverLoader" . }}
    {{- include "falco-airgap.driverLoaderContainer" . | trim | nindent 4 }}
    {{- end }}
    {{- if eq $v.pluginStrategy "sidecar" }}
    - name: plugin-loader
      image: {{ include "falco-airgap.image" (dict "image" $v.pluginLoader.image "root" $) }}
      imagePullPolicy: {{ $v.pluginLoader.image.pullPolicy }}
      env:
        - name: FALCO_PLUGIN_LOADER_DEST
          value: /mnt/plugins
        {{- if $lockedRules }}
        - name: FALCO_PLUGIN_LOADER_RULES_DEST
          value: /mnt/rules
        {{- end }}
      {{- with $v.pluginLoader.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.pluginLoader.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: plugins
          mountPath: /mnt/plugins
        {{- if $lockedRules }}
        - name: locked-rules
          mountPath: /mnt/rules
        {{- end }}
    {{- end }}
    {{- with $v.extra.initContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  containers:
    - name: falco
      image: {{ include "falco-airgap.image" (dict "image" $falcoImage "root" $) }}
      imagePullPolicy: {{ $falcoImage.pullPolicy }}
      command: {{ include "falco-airgap.falcoCommand" . }}
      {{- with $v.extra.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $nodeName := dict "valueFrom" (dict "fieldRef" (dict "fieldPath" "spec.nodeName")) }}
      {{- $env := list }}
      {{- if $v.falcoHostnameEnv }}
      {{- $env = append $env (merge (dict "name" "FALCO_HOSTNAME") $nodeName) }}
      {{- end }}
      {{- $env = append $env (merge (dict "name" "FALCO_K8S_NODE_NAME") $nodeName) }}
      {{- if $nodeAgent }}
      {{- $env = append $env (dict "name" "HOST_ROOT" "value" "/host") }}
      {{- end }}
      {{- if eq $v.pluginStrategy "s3" }}
      {{- $env = concat $env (include "falco-airgap.s3LoaderEnv" . | fromYamlArray) }}
      {{- end }}
      {{- /* A variable extra.env names replaces the chart's: two entries of one name break helm upgrade. */}}
      {{- $extraEnv := include "falco-airgap.extraEnv" . | fromJsonArray }}
      {{- $overridden := list }}
      {{- range $extraEnv }}{{ $overridden = append $overridden .name }}{{ end }}
      {{- $final := list }}
      {{- range $env }}{{ if not (has .name $overridden) }}{{ $final = append $final . }}{{ end }}{{ end }}
      {{- with concat $final $extraEnv }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if and (eq $v.pluginStrategy "s3") $v.s3.existingSecret }}
      envFrom:
        - secretRef:
            name: {{ $v.s3.existingSecret }}
      {{- end }}
      tty: {{ $v.tty }}
      {{- $ports := list }}
      {{- if $v.falco.webserver.enabled }}
      {{- $ports = append $ports (dict "name" "web" "containerPort" $v.falco.webserver.listen_port "protocol" "TCP") }}
      {{- end }}
      {{- range $v.services }}
      {{- range .ports }}
      {{- $ports = append $ports (dict "name" (include "falco-airgap.servicePortName" .) "containerPort" (default .port .targetPort) "protocol" (default "TCP" .protocol)) }}
      {{- end }}
      {{- end }}
      {{- with $ports }}
      ports:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.falco.webserver.enabled }}
      {{- range $probe := list "startupProbe" "livenessProbe" "readinessProbe" }}
      {{ $probe }}:
        {{- toYaml (get $v.healthChecks $probe) | nindent 8 }}
        httpGet:
          path: {{ $v.falco.webserver.k8s_healthz_endpoint }}
          port: web
          scheme: {{ ternary "HTTPS" "HTTP" $v.falco.webserver.ssl_enabled }}
      {{- end }}
      {{- end }}
      {{- with $v.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "falco-airgap.falcoSecurityContext" . | trim | nindent 8 }}
      volumeMounts:
        - name: falco-yaml
          mountPath: /etc/falco/falco.yaml
          subPath: falco.yaml
          readOnly: true
        - name: config-d
          mountPath: /etc/falco/config.d
        - name: root-falco
          mountPath: /root/.falco
        {{- if $v.customRules }}
        - name: custom-rules
          mountPath: /etc/falco/rules.d
          readOnly: true
        {{- end }}
        {{- if $v.rulesOverrides.enabled }}
        - name: rules-overrides
          mountPath: /etc/falco/rules.overrides.d
          readOnly: true
        {{- end }}
        {{- range $i, $name := $v.customRulesConfigMaps | sortAlpha }}
        - name: {{ printf "custom-rules-cm-%d" $i }}
          mountPath: {{ printf "/etc/falco/rules.configmaps.d/%s" $name }}
          readOnly: true
        {{- end }}
        {{- if include "falco-airgap.pluginVolume" . }}
        - name: plugins
          mountPath: /usr/share/falco/plugins
        {{- end }}
        {{- if $lockedRules }}
        - name: locked-rules
          mountPath: {{ $lockedRulesDir }}
          {{- /* Under s3 the loader in this container installs the rules files. */}}
          readOnly: {{ ne $v.pluginStrategy "s3" }}
        {{- end }}
        {{- if $serverCerts }}
        - name: certs
          mountPath: /etc/falco/certs
          readOnly: true
        {{- end }}
        {{- if $clientCerts }}
        - name: client-certs
          mountPath: /etc/falco/certs/client
          readOnly: true
        {{- end }}
        {{- if and (eq $v.pluginStrategy "s3") $v.s3.cacheHostPath }}
        - name: plugin-cache
          mountPath: /var/cache/falco-airgap/plugins
        {{- end }}
        {{- if $nodeAgent }}
        - name: proc-fs
          mountPath: /host/proc
          readOnly: true
        - name: etc-fs
          mountPath: /host/etc
          readOnly: true
        {{- end }}
        {{- if $kernelBuild }}
        - name: dev-fs
          mountPath: /host/dev
          readOnly: true
        - name: sys-module-fs
          mountPath: /sys/module
          readOnly: true
        {{- end }}
        {{- if include "falco-airgap.sysKernelMount" . }}
        - name: sys-kernel-fs
          mountPath: {{ $v.driver.sysfsMountPath }}
          readOnly: true
        {{- end }}
        {{- if and $nodeAgent (eq $kind "gvisor") }}
        - name: runsc-root
          mountPath: {{ printf "/host%s" $v.driver.gvisor.runsc.root }}
        - name: runsc-config
          mountPath: {{ printf "/host%s" $v.driver.gvisor.runsc.config }}
          readOnly: true
        {{- end }}
        {{- if include "falco-airgap.containerPlugin" . }}
        {{- range $i, $path := include "falco-airgap.socketMounts" . | fromJsonArray }}
        - name: {{ printf "runtime-socket-%d" $i }}
          mountPath: {{ printf "/host%s" $path }}
          readOnly: true
        {{- end }}
        {{- end }}
        {{- with $v.mounts.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: falco-yaml
      configMap:
        name: {{ include "falco-airgap.fullname" . }}
        items:
          - key: falco.yaml
            path: falco.yaml
    - name: config-d
      emptyDir: {}
    - name: root-falco
      emptyDir: {}
    {{- if $v.customRules }}
    - name: custom-rules
      configMap:
        name: {{ include "falco-airgap.fullname" . }}-rules
    {{- end }}
    {{- if $v.rulesOverrides.enabled }}
    - name: rules-overrides
      configMap:
        name: {{ include "falco-airgap.fullname" . }}-rules-overrides
    {{- end }}
    {{- range $i, $name := $v.customRulesConfigMaps | sortAlpha }}
    - name: {{ printf "custom-rules-cm-%d" $i }}
      configMap:
        name: {{ $name }}
    {{- end }}
    {{- if include "falco-airgap.pluginVolume" . }}
    - name: plugins
      emptyDir: {}
    {{- end }}
    {{- if $lockedRules }}
    - name: locked-rules
      emptyDir: {}
    {{- end }}
    {{- if $serverCerts }}
    - name: certs
      secret:
        secretName: {{ default (printf "%s-certs" (include "falco-airgap.fullname" .)) $v.certs.existingSecret }}
    {{- end }}
    {{- if $clientCerts }}
    - name: client-certs
      secret:
        secretName: {{ default (printf "%s-client-certs" (include "falco-airgap.fullname" .)) $v.certs.existingClientSecret }}
    {{- end }}
    {{- if and (eq $v.pluginStrategy "s3") $v.s3.cacheHostPath }}
    - name: plugin-cache
      hostPath:
        path: {{ $v.s3.cacheHostPath }}
        type: DirectoryOrCreate
    {{- end }}
    {{- if $nodeAgent }}
    - name: proc-fs
      hostPath:
        path: /proc
    - name: etc-fs
      hostPath:
        path: /etc
    {{- end }}
    {{- if $kernelBuild }}
    - name: dev-fs
      hostPath:
        path: /dev
    - name: sys-module-fs
      hostPath:
        path: /sys/module
    - name: boot-fs
      hostPath:
        path: /boot
    - name: lib-modules
      hostPath:
        path: /lib/modules
    - name: usr-fs
      hostPath:
        path: /usr
    {{- end }}
    {{- if include "falco-airgap.sysKernelMount" . }}
    - name: sys-kernel-fs
      hostPath:
        path: {{ $v.driver.sysfsMountPath }}
    {{- end }}
    {{- if and $nodeAgent (eq $kind "gvisor") }}
    - name: runsc-root
      hostPath:
        path: {{ $v.driver.gvisor.runsc.root }}
    - name: runsc-config
      hostPath:
        path: {{ $v.driver.gvisor.runsc.config }}
        type: File
    {{- end }}
    {{- if include "falco-airgap.containerPlugin" . }}
    {{- range $i, $path := include "falco-airgap.socketMounts" . | fromJsonArray }}
    - name: {{ printf "runtime-socket-%d" $i }}
      hostPath:
        path: {{ $path }}
        {{- /* A node runs one or two of the engines: an absent socket or directory must not keep the pod from starting. */}}
        {{- if not (hasSuffix ".sock" $path) }}
        type: DirectoryOrCreate
        {{- end }}
    {{- end }}
    {{- end }}
    {{- with $v.mounts.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* Installs the kernel module or legacy probe with falcoctl from the Falco image; downloads only from repos, never from the internet. */}}
{{- define "falco-airgap.driverLoaderContainer" -}}
{{- $v := .Values }}
{{- $types := ternary (list "modern_ebpf" "kmod") (list $v.driver.kind) (eq $v.driver.kind "auto") }}
{{- $flags := list }}
{{- range $types }}{{ $flags = append $flags (printf "--type=%s" .) }}{{ end }}
{{- $loader := $v.driver.loader.initContainer }}
{{- $image := include "falco-airgap.driverLoaderImageValues" . | fromJson }}
{{- $extraArgs := list }}
{{- range $loader.args }}{{ $extraArgs = append $extraArgs (squote .) }}{{ end }}
- name: driver-loader
  image: {{ include "falco-airgap.image" (dict "image" $image "root" $) }}
  imagePullPolicy: {{ $image.pullPolicy }}
  command: [/bin/sh, -c]
  args:
    - {{ printf "falcoctl driver config %s --host-root=/host && falcoctl driver install %s --host-root=/host --download=%t --compile=%t%s" (join " " $flags) (join " " $flags) (not (empty $v.driver.loader.repos)) $v.driver.loader.compile (ternary (printf " %s" (join " " $extraArgs)) "" (not (empty $extraArgs))) | quote }}
  env:
    - name: HOST_ROOT
      value: /host
    - name: FALCOCTL_DRIVER_REPOS
      value: {{ join "," $v.driver.loader.repos | quote }}
    {{- /* auto: falcoctl writes its choice of engine to /etc/falco/config.d, which falco.yaml loads last. */}}
    - name: FALCOCTL_DRIVER_CONFIG_UPDATE_FALCO
      value: {{ eq $v.driver.kind "auto" | quote }}
    {{- with $loader.env }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
  {{- with $loader.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- with $loader.securityContext }}
    {{- toYaml . | nindent 4 }}
    {{- else }}
    privileged: true
    {{- end }}
  volumeMounts:
    - name: root-falco
      mountPath: /root/.falco
    - name: config-d
      mountPath: /etc/falco/config.d
    - name: proc-fs
      mountPath: /host/proc
      readOnly: true
    - name: boot-fs
      mountPath: /host/boot
      readOnly: true
    - name: lib-modules
      mountPath: /host/lib/modules
    - name: usr-fs
      mountPath: /host/usr
      readOnly: true
    - name: etc-fs
      mountPath: /host/etc
      readOnly: true
    - name: dev-fs
      mountPath: /host/dev
      readOnly: true
{{- end }}

{{/* Environment of falco-s3-loader: the contract between the chart and apps/s3-loader. */}}
{{- define "falco-airgap.s3LoaderEnv" -}}
{{- $s3 := .Values.s3 }}
- name: FALCO_S3_LOADER_BUCKET
  value: {{ $s3.bucket | quote }}
- name: FALCO_S3_LOADER_PREFIX
  value: {{ $s3.prefix | quote }}
{{- with $s3.channel }}
- name: FALCO_S3_LOADER_CHANNEL
  value: {{ . | quote }}
{{- end }}
{{- with $s3.release }}
- name: FALCO_S3_LOADER_RELEASE
  value: {{ . | quote }}
{{- end }}
{{- with $s3.region }}
- name: FALCO_S3_LOADER_REGION
  value: {{ . | quote }}
{{- end }}
{{- with $s3.endpoint }}
- name: FALCO_S3_LOADER_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: FALCO_S3_LOADER_PATH_STYLE
  value: {{ $s3.forcePathStyle | quote }}
- name: FALCO_S3_LOADER_DEST
  value: /usr/share/falco/plugins
{{- if include "falco-airgap.lockedRules" . }}
- name: FALCO_S3_LOADER_RULES_DEST
  value: /etc/falco/locked-rules.d
{{- end }}
- name: FALCO_S3_LOADER_ON_UNAVAILABLE
  value: {{ $s3.onUnavailable | quote }}
{{- if $s3.cacheHostPath }}
- name: FALCO_S3_LOADER_CACHE_DIR
  value: /var/cache/falco-airgap/plugins
{{- end }}
- name: FALCO_S3_LOADER_TIMEOUT
  value: {{ printf "%vs" $s3.timeoutSeconds | quote }}
- name: FALCO_S3_LOADER_RETRIES
  value: {{ $s3.retries | quote }}
{{- end }}
