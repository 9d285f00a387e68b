{{/*
Checks across values that values.schema.json cannot express. packages/helm-values-schema (rules.ts,
legacy-options.ts) makes the same checks with the same codes, so validateValues() and helm agree.
Prints one line per problem, "CODE: path: what is wrong — what to do"; validate.yaml fails with them.
*/}}
{{- define "falco-airgap.valuesErrors" -}}
{{- $v := .Values }}
{{- $errors := list }}
{{- $version := include "falco-airgap.falcoVersion" . }}

{{- /* Legacy options: render only for the Falco releases that still have them. */}}
{{- $legacy := list
  (dict "path" "driver.kind" "value" "ebpf" "on" (eq $v.driver.kind "ebpf") "what" "the legacy eBPF probe" "deprecatedIn" "0.43.0" "removedIn" "0.44.0" "instead" "use driver.kind=modern_ebpf (kernel 5.8 or later, nothing to build) or driver.kind=kmod")
  (dict "path" "driver.kind" "value" "gvisor" "on" (eq $v.driver.kind "gvisor") "what" "the gVisor engine" "deprecatedIn" "0.43.0" "removedIn" "0.44.0" "instead" "run Falco with driver.kind=modern_ebpf on the nodes, or pin falcoVersion to 0.43.x until the gVisor workloads move")
  (dict "path" "falco.grpc.enabled" "value" "true" "on" (and (kindIs "map" $v.falco.grpc) (eq (toString (dig "enabled" false ($v.falco.grpc | default dict))) "true")) "what" "the gRPC server" "deprecatedIn" "0.43.0" "removedIn" "0.44.0" "instead" "send alerts with falco.http_output (e.g. to falcosidekick) or collect falco.json_output from stdout")
  (dict "path" "falco.grpc_output.enabled" "value" "true" "on" (and (kindIs "map" $v.falco.grpc_output) (eq (toString (dig "enabled" false ($v.falco.grpc_output | default dict))) "true")) "what" "the gRPC output" "deprecatedIn" "0.43.0" "removedIn" "0.44.0" "instead" "send alerts with falco.http_output (e.g. to falcosidekick) or collect falco.json_output from stdout")
}}
{{- range $legacy }}
{{- if and .on (semverCompare (printf ">=%s-0" .removedIn) $version) }}
{{- $errors = append $errors (printf "VALUES_REMOVED_OPTION: %s: %s selects %s, which Falco removed in %s (deprecated in %s); this release runs Falco %s — %s" .path (ternary .value (quote .value) (eq .value "true")) .what .removedIn .deprecatedIn $version .instead) }}
{{- end }}
{{- end }}

{{- if eq $v.pluginStrategy "s3" }}
{{- if not $v.s3.bucket }}
{{- $errors = append $errors "VALUES_S3_BUCKET_REQUIRED: s3.bucket: pluginStrategy s3 needs the bucket that holds the plugin store — set s3.bucket to the bucket falco-airgap publish writes to, or use pluginStrategy sidecar" }}
{{- end }}
{{- if and $v.s3.channel $v.s3.release }}
{{- $errors = append $errors "VALUES_S3_CHANNEL_OR_RELEASE: s3.release: s3.channel and s3.release are both set — keep one: a channel follows promotions, a release pins one set" }}
{{- else if not (or $v.s3.channel $v.s3.release) }}
{{- $errors = append $errors "VALUES_S3_CHANNEL_OR_RELEASE: s3.channel: pluginStrategy s3 needs a channel to follow or a release to pin — set s3.channel (e.g. prod) or s3.release (an id from falco-airgap releases list)" }}
{{- end }}
{{- if and (eq $v.s3.onUnavailable "use-cached") (not $v.s3.cacheHostPath) }}
{{- $errors = append $errors "VALUES_S3_CACHE_REQUIRED: s3.cacheHostPath: s3.onUnavailable use-cached needs a node directory to keep the last verified plugins in — set s3.cacheHostPath (e.g. /var/lib/falco-airgap/plugin-cache) or use s3.onUnavailable fail" }}
{{- end }}
{{- end }}

{{- if and (eq $v.controller.kind "deployment") $v.driver.enabled }}
{{- $errors = append $errors "VALUES_DEPLOYMENT_WITH_DRIVER: driver.enabled: controller.kind deployment runs plugin-only sources and cannot load a driver — set driver.enabled false for a Deployment, or use controller.kind daemonset for system calls" }}
{{- end }}

{{- if $v.driver.enabled }}
{{- if and $v.driver.modernEbpf.leastPrivileged (ne $v.driver.kind "modern_ebpf") }}
{{- $errors = append $errors (printf "VALUES_LEAST_PRIVILEGED_UNSUPPORTED: driver.modernEbpf.leastPrivileged: the least-privileged mode needs driver.kind modern_ebpf, not %s — use driver.kind modern_ebpf, or drop leastPrivileged: kmod and auto load a kernel module and need privileged" $v.driver.kind) }}
{{- end }}
{{- if and $v.driver.ebpf.leastPrivileged (ne $v.driver.kind "ebpf") }}
{{- $errors = append $errors (printf "VALUES_LEAST_PRIVILEGED_UNSUPPORTED: driver.ebpf.leastPrivileged: driver.ebpf.leastPrivileged applies to driver.kind ebpf, not %s — use driver.modernEbpf.leastPrivileged, or drop it" $v.driver.kind) }}
{{- end }}
{{- end }}

{{- if and $v.metrics.enabled (not $v.falco.webserver.enabled) }}
{{- $errors = append $errors "VALUES_METRICS_NEED_WEBSERVER: metrics.enabled: metrics are served by the Falco webserver, which falco.webserver.enabled turns off — set falco.webserver.enabled true, or metrics.enabled false" }}
{{- end }}
{{- if and $v.serviceMonitor.create (not (and $v.metrics.enabled $v.metrics.service.create)) }}
{{- $errors = append $errors "VALUES_SERVICE_MONITOR_NEEDS_METRICS: serviceMonitor.create: a ServiceMonitor scrapes /metrics through the metrics Service, and metrics.enabled or metrics.service.create is off — set metrics.enabled true and metrics.service.create true, or serviceMonitor.create false" }}
{{- end }}

{{- $defined := dict }}
{{- range $i, $plugin := $v.falco.plugins }}
{{- if hasKey $defined $plugin.name }}
{{- $errors = append $errors (printf "VALUES_DUPLICATE_PLUGIN: falco.plugins[%d].name: plugin %q is defined twice — keep one entry per plugin" $i $plugin.name) }}
{{- end }}
{{- $_ := set $defined $plugin.name $i }}
{{- end }}
{{- $managed := include "falco-airgap.containerPlugin" . }}
{{- if and (include "falco-airgap.kubernetesPlugin" .) (not (hasKey $defined "k8smeta")) }}
{{- $_ := set $defined "k8smeta" -1 }}
{{- end }}
{{- range $i, $name := $v.falco.load_plugins }}
{{- if and (eq $name "container") $managed }}
{{- $errors = append $errors (printf "VALUES_PLUGIN_MANAGED: falco.load_plugins[%d]: the container plugin is loaded by collectors.containerEngine — remove container from falco.load_plugins (and falco.plugins), or set collectors.containerEngine.enabled false to configure it yourself" $i) }}
{{- else if not (hasKey $defined $name) }}
{{- $errors = append $errors (printf "VALUES_PLUGIN_NOT_DEFINED: falco.load_plugins[%d]: load_plugins names %q but falco.plugins has no entry for it, so Falco would not start — add {name: %s, library_path: lib%s.so} to falco.plugins" $i $name $name $name) }}
{{- end }}
{{- end }}
{{- if and $managed (hasKey $defined "container") }}
{{- $errors = append $errors (printf "VALUES_PLUGIN_MANAGED: falco.plugins[%v].name: the container plugin is configured by collectors.containerEngine — remove it from falco.plugins, or set collectors.containerEngine.enabled false to configure it yourself" (get $defined "container")) }}
{{- end }}

{{- range $i, $file := $v.falco.rules_files }}
{{- if and (hasPrefix "/etc/falco/rules.d/" $file) (ne (trimSuffix "/" $file) "/etc/falco/rules.d") }}
{{- $errors = append $errors (printf "VALUES_RULES_DIR_MANAGED: falco.rules_files[%d]: /etc/falco/rules.d holds customRules, which the chart lists itself in byte order of their names where /etc/falco/rules.d is listed — replace %s with /etc/falco/rules.d (the customRules files in byte order) and name the file in customRules" $i $file) }}
{{- end }}
{{- end }}

{{- if $v.rulesOverrides.enabled }}
{{- $locked := and $v.lockedRules.enabled (has $v.pluginStrategy (list "sidecar" "s3")) }}
{{- $lockedFalcoRules := and $locked (or (empty $v.lockedRules.files) (has "falco_rules.yaml" $v.lockedRules.files)) }}
{{- $imageFalcoRules := and (has "/etc/falco/falco_rules.yaml" $v.falco.rules_files) (not (and $locked $v.lockedRules.files (not (has "/etc/falco/locked-rules.d" $v.falco.rules_files)))) }}
{{- if not (or $lockedFalcoRules $imageFalcoRules) }}
{{- $errors = append $errors "VALUES_OVERRIDES_NEED_FALCO_RULES: rulesOverrides.enabled: the overrides append to rules of falco_rules.yaml, which neither lockedRules.files nor falco.rules_files loads, so Falco would not start — add falco_rules.yaml to lockedRules.files (or /etc/falco/falco_rules.yaml to falco.rules_files), or set rulesOverrides.enabled false" }}
{{- end }}
{{- end }}

{{- $sidekick := $v.falcosidekick }}
{{- if $sidekick.enabled }}
{{- if $v.falco.http_output.url }}
{{- $errors = append $errors "VALUES_HTTP_OUTPUT_MANAGED: falco.http_output.url: falcosidekick.enabled points falco.http_output at the Falcosidekick Service, and falco.http_output.url names another endpoint — empty falco.http_output.url, or set falcosidekick.enabled false to post alerts there yourself" }}
{{- end }}
{{- if not $sidekick.customWebhook.address }}
{{- if not $sidekick.ingestor.url }}
{{- $errors = append $errors "VALUES_FALCOSIDEKICK_NO_DESTINATION: falcosidekick.ingestor.url: Falcosidekick has nowhere to send the alerts: neither falcosidekick.ingestor.url nor falcosidekick.customWebhook.address is set — set falcosidekick.ingestor.url to the event ingestor (e.g. https://events.example.internal/api/v1/events), or falcosidekick.customWebhook.address" }}
{{- else if not (or $sidekick.ingestor.token $sidekick.ingestor.tokenSecret.name) }}
{{- $errors = append $errors "VALUES_FALCOSIDEKICK_TOKEN_REQUIRED: falcosidekick.ingestor.tokenSecret.name: the event ingestor accepts alerts only with the cluster's token, and neither falcosidekick.ingestor.tokenSecret.name nor falcosidekick.ingestor.token is set — name the Secret holding the token in falcosidekick.ingestor.tokenSecret.name (key: tokenSecret.key), or set falcosidekick.ingestor.token" }}
{{- end }}
{{- if and $sidekick.ingestor.token $sidekick.ingestor.tokenSecret.name }}
{{- $errors = append $errors "VALUES_FALCOSIDEKICK_TOKEN_TWICE: falcosidekick.ingestor.token: falcosidekick.ingestor.token and falcosidekick.ingestor.tokenSecret.name are both set — keep tokenSecret.name (the token stays out of the helm release) and remove token" }}
{{- end }}
{{- end }}
{{- end }}
{{- join "\n" $errors }}
{{- end }}
