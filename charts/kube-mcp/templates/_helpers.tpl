{{/* The chart name, or nameOverride. */}}
{{- define "kube-mcp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name: release and chart, or fullnameOverride. */}}
{{- define "kube-mcp.fullname" -}}
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

{{- define "kube-mcp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kube-mcp.labels" -}}
helm.sh/chart: {{ include "kube-mcp.chart" . }}
{{ include "kube-mcp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kube-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-mcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kube-mcp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kube-mcp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kube-mcp.rbacName" -}}
{{- default (include "kube-mcp.fullname" .) .Values.rbac.name }}
{{- end }}

{{/* A comma-separated value as a YAML list. */}}
{{- define "kube-mcp.list" -}}
{{- $items := list }}
{{- range (splitList "," .) }}{{ $item := trim . }}{{ if $item }}{{ $items = append $items $item }}{{ end }}{{ end }}
{{- toJson $items }}
{{- end }}

{{/* The Secret holding the request-state key. */}}
{{- define "kube-mcp.stateKeySecret" -}}
{{- .Values.mcp.stateKey.existingSecret | default (printf "%s-state-key" (include "kube-mcp.fullname" .)) }}
{{- end }}

{{/* The server's configuration file. */}}
{{- define "kube-mcp.config" -}}
host: {{ .Values.mcp.host | quote }}
port: 9000
{{- with .Values.mcp.baseUrl }}
baseUrl: {{ . | quote }}
{{- end }}
{{- with .Values.mcp.allowedOrigins }}
allowedOrigins: {{ include "kube-mcp.list" . }}
{{- end }}
{{- if .Values.metrics.enabled }}
metricsListen: "0.0.0.0:{{ .Values.metrics.port }}"
{{- end }}
shutdownDelay: "{{ .Values.mcp.shutdownDelaySeconds }}s"
shutdownTimeout: "{{ .Values.mcp.shutdownTimeoutSeconds }}s"
{{- with .Values.mcp.tracing }}
{{- if .otlpEndpoint }}
tracing:
  otlpEndpoint: {{ .otlpEndpoint | quote }}
  serviceName: {{ .serviceName | quote }}
  sampleRatio: {{ .sampleRatio }}
{{- end }}
{{- end }}
mcp:
  stateless: {{ .Values.mcp.stateless }}
  requestTimeout: {{ .Values.mcp.requestTimeout | quote }}
  maxInFlight: {{ .Values.mcp.maxInFlight }}
  maxCallsPerCaller: {{ .Values.mcp.maxCallsPerCaller }}
  maxCallsPerPlugin: {{ .Values.mcp.maxCallsPerPlugin }}
  stateKeyFile: /etc/kube-mcp/state/{{ .Values.mcp.stateKey.key }}
oidc:
  {{- with .Values.mcp.oidc.issuerUrl }}
  issuerUrl: {{ . | quote }}
  {{- end }}
  {{- with .Values.mcp.oidc.clientId }}
  clientId: {{ . | quote }}
  {{- end }}
  signingMethod: {{ include "kube-mcp.list" .Values.mcp.oidc.signingMethod }}
  scopes: {{ include "kube-mcp.list" .Values.mcp.oidc.scopes }}
  {{- with .Values.mcp.oidc.requiredScopes }}
  requiredScopes: {{ include "kube-mcp.list" . }}
  {{- end }}
  audienceMode: {{ .Values.mcp.oidc.audienceMode }}
  allowHttp: {{ .Values.mcp.oidc.allowHttp }}
  {{- with .Values.mcp.oidc.audience }}
  {{- if eq $.Values.mcp.oidc.audienceMode "resource" }}
  {{- fail "mcp.oidc.audience lists audiences, and mcp.oidc.audienceMode is resource (only the server's own URL); set audienceMode: compatible to accept others" }}
  {{- end }}
  audience: {{ include "kube-mcp.list" . }}
  {{- end }}
  usernameClaim: {{ .Values.mcp.oidc.usernameClaim | quote }}
  groupsClaim: {{ .Values.mcp.oidc.groupsClaim | quote }}
  {{- if .Values.mcp.oidc.hs256Secret.existingSecret }}
  hs256SecretFile: /etc/kube-mcp/hs256/{{ .Values.mcp.oidc.hs256Secret.key }}
  {{- end }}
  {{- with .Values.mcp.oidc.issuers }}
  issuers: {{ toJson . }}
  {{- end }}
tools:
  {{- if .Values.mcp.tools.allowed }}
  allowed: {{ include "kube-mcp.list" .Values.mcp.tools.allowed }}
  {{- else if .Values.mcp.tools.disallowed }}
  disallowed: {{ include "kube-mcp.list" .Values.mcp.tools.disallowed }}
  {{- end }}
  {{- with .Values.mcp.tools.rules }}
  rules: {{ toJson . }}
  {{- end }}
plugins:
  dir: /usr/lib/kube-mcp/plugins
  {{- $extra := list }}
  {{- if .Values.plugins.extra.configMap.name }}{{ $extra = append $extra "/var/lib/kube-mcp/plugins-configmap" }}{{ end }}
  {{- if .Values.plugins.extra.image.reference }}{{ $extra = append $extra "/var/lib/kube-mcp/plugins-image" }}{{ end }}
  {{- if .Values.plugins.extra.initContainer.image }}{{ $extra = append $extra "/var/lib/kube-mcp/plugins-init" }}{{ end }}
  {{- with $extra }}
  extraDirs: {{ toJson . }}
  {{- end }}
  # A directory the server makes itself (0700, its own) inside the
  # emptyDir, which Kubernetes creates writable by everyone.
  cacheDir: /var/cache/kube-mcp/compiled
  limits: {{ toJson .Values.plugins.limits }}
  {{- with .Values.plugins.overrides }}
  overrides: {{ toJson . }}
  {{- end }}
  grants: {{ toJson .Values.plugins.grants }}
  pins: {{ toJson .Values.plugins.pins }}
  {{- with .Values.plugins.sources }}
  sources: {{ toJson . }}
  {{- end }}
  {{- if .Values.plugins.requireSignatures }}
  requireSignatures: true
  {{- end }}
  {{- with .Values.plugins.trust.keys }}
  trust:
    keys: {{ toJson . }}
  {{- end }}
  registry:
    pollInterval: {{ .Values.plugins.registry.pollInterval | quote }}
    store: /var/cache/kube-mcp/oci
    {{- if .Values.plugins.registry.authSecret }}
    authFile: /etc/kube-mcp/registry/.dockerconfigjson
    {{- end }}
kubernetes:
  identity: {{ .Values.mcp.identity }}
  {{- if eq .Values.mcp.identity "impersonate" }}
  impersonation:
    usernameClaim: {{ .Values.mcp.impersonation.usernameClaim | quote }}
    userPrefix: {{ .Values.mcp.impersonation.userPrefix | quote }}
    groupPrefix: {{ .Values.mcp.impersonation.groupPrefix | quote }}
  {{- end }}
  revealSecrets: {{ .Values.mcp.revealSecrets }}
  {{- if .Values.mcp.clusters }}
  clusters:
    {{- range .Values.mcp.clusters }}
    {{- $cluster := omit . "tokenExchange" }}
    {{- if not .inCluster }}
    {{- $_ := set $cluster "kubeconfig" (printf "/etc/kube-mcp/kubeconfig/%s" $.Values.mcp.kubeconfig.key) }}
    {{- end }}
    {{- with .tokenExchange }}
    {{- $exchange := merge (dict "clientSecretFile" (printf "/etc/kube-mcp/token-exchange/%s" $.Values.mcp.tokenExchange.key)) . }}
    {{- $_ := set $cluster "tokenExchange" $exchange }}
    {{- end }}
    - {{ toJson $cluster }}
    {{- end }}
  {{- end }}
  listOutput: {{ .Values.mcp.listOutput }}
  answerBudget: {{ .Values.mcp.answerBudget | quote }}
logging:
  level: {{ .Values.mcp.logging.level }}
  format: json
{{- end }}

{{/*
The directories plugins are loaded from, as a JSON list: the image's own,
then the extra ones that are configured.
*/}}
{{- define "kube-mcp.pluginDirs" -}}
{{- $dirs := list "/usr/lib/kube-mcp/plugins" }}
{{- if .Values.plugins.extra.configMap.name }}{{ $dirs = append $dirs "/var/lib/kube-mcp/plugins-configmap" }}{{ end }}
{{- if .Values.plugins.extra.image.reference }}{{ $dirs = append $dirs "/var/lib/kube-mcp/plugins-image" }}{{ end }}
{{- if .Values.plugins.extra.initContainer.image }}{{ $dirs = append $dirs "/var/lib/kube-mcp/plugins-init" }}{{ end }}
{{- toJson $dirs }}
{{- end }}

{{/*
The volume mounts of the extra plugin directories (the server's and the
precompile step's).
*/}}
{{- define "kube-mcp.pluginMounts" -}}
{{- if .Values.plugins.extra.configMap.name }}
# The whole directory, not subPaths: ConfigMap updates then arrive
# as an atomic `..data` swap the server reloads on.
- name: plugins-configmap
  mountPath: /var/lib/kube-mcp/plugins-configmap
  readOnly: true
{{- end }}
{{- if .Values.plugins.extra.image.reference }}
- name: plugins-image
  mountPath: /var/lib/kube-mcp/plugins-image
  readOnly: true
{{- end }}
{{- if .Values.plugins.extra.initContainer.image }}
- name: plugins-init
  mountPath: /var/lib/kube-mcp/plugins-init
  readOnly: true
{{- end }}
{{- end }}

{{/* Trust keys and registry credentials: the server's, not the precompile step's. */}}
{{- define "kube-mcp.clusterMounts" -}}
{{- if .Values.mcp.kubeconfig.existingSecret }}
- name: kubeconfig
  mountPath: /etc/kube-mcp/kubeconfig
  readOnly: true
{{- end }}
{{- if .Values.mcp.tokenExchange.existingSecret }}
- name: token-exchange
  mountPath: /etc/kube-mcp/token-exchange
  readOnly: true
{{- end }}
{{- end }}

{{- define "kube-mcp.distributionMounts" -}}
{{- if or .Values.plugins.trust.configMap .Values.plugins.trust.secret }}
- name: trust
  mountPath: /etc/kube-mcp/trust
  readOnly: true
{{- end }}
{{- if .Values.plugins.registry.authSecret }}
- name: registry-auth
  mountPath: /etc/kube-mcp/registry
  readOnly: true
{{- end }}
{{- end }}
