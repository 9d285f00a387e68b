{{- define "falco-event-ingestor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "falco-event-ingestor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "falco-event-ingestor.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "falco-event-ingestor.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "falco-event-ingestor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falco-event-ingestor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "falco-event-ingestor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "falco-event-ingestor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: falco-airgap
{{- end }}

{{/* The image: global.imageRegistry replaces image.registry, a digest replaces the tag, an empty tag is the appVersion. */}}
{{- define "falco-event-ingestor.image" -}}
{{- $repository := printf "%s/%s" (default .Values.image.registry .Values.global.imageRegistry) .Values.image.repository }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding one input: the user's, or the chart's own when the value is given inline. */}}
{{- define "falco-event-ingestor.secretName" -}}
{{- $block := index .root.Values .key }}
{{- if $block.existingSecret }}{{ $block.existingSecret }}{{ else }}{{ printf "%s-%s" (include "falco-event-ingestor.fullname" .root | trunc 50 | trimSuffix "-") (.key | lower) }}{{ end }}
{{- end }}

{{- define "falco-event-ingestor.validate" -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.url) }}
{{- fail "database: set database.existingSecret (a Secret holding the PostgreSQL URL under database.secretKey) or database.url" }}
{{- end }}
{{- if and (not .Values.jwks.existingSecret) (not .Values.jwks.content) }}
{{- fail "jwks: set jwks.existingSecret (a Secret holding the JWKS under jwks.secretKey, from falco-airgap fleet jwks) or jwks.content" }}
{{- end }}
{{- if and .Values.operatorTokens.enabled (not .Values.operatorTokens.existingSecret) (not .Values.operatorTokens.content) }}
{{- fail "operatorTokens: set operatorTokens.existingSecret or operatorTokens.content, or operatorTokens.enabled=false for no event view" }}
{{- end }}
{{- if not (has .Values.config.viewSecureCookie (list "auto" "always" "never")) }}
{{- fail "config.viewSecureCookie: use auto, always or never" }}
{{- end }}
{{- end }}
