{{- define "appconnector.name" -}}appconnector{{- end -}}

{{- define "appconnector.fullname" -}}
{{- if contains "appconnector" .Release.Name -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- else -}}{{ printf "%s-appconnector" .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "appconnector.labels" -}}
app.kubernetes.io/name: appconnector
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: (dict "root" $ "component" "gateway") */}}
{{- define "appconnector.selector" -}}
app.kubernetes.io/name: appconnector
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "appconnector.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "appconnector.adminTokenSecret" -}}
{{ .Values.managementAPI.adminTokenSecret | default (printf "%s-admin-token" (include "appconnector.fullname" .)) }}
{{- end -}}

{{/*
The components: binary, container ports (name: port), and whether the component serves
health on its own port. One table so Deployments, Services, PDBs and HPAs stay in step.
*/}}
{{- define "appconnector.components" -}}
gateway:
  values: gateway
  binary: application-gateway
  ports: {http-proxy: 8080, http-proxy-mps: 8082, http-api-port: 8081, metrics: 9464}
  health: 8081
connector:
  values: connector
  binary: connector
  ports: {https-connector: 8083, https-mtls: 8443, http-api-port: 8081, metrics: 9464}
  health: 8081
validator:
  values: validator
  binary: connectivity-validator
  ports: {http-proxy: 8080, http-api-port: 8081, metrics: 9464}
  health: 8081
management-api:
  values: managementAPI
  binary: management-api
  ports: {http-api: 8081, metrics: 9464}
  health: 8081
runtime-agent:
  values: runtimeAgent
  binary: runtime-agent
  ports: {http-api-port: 8081, metrics: 9464}
  health: 8081
{{- end -}}

{{/*
The Lease that elects the one runtime agent replica syncing with Compass. Passed as
--compass-lease and the only Lease the agent's Role lets it read and update, so the two
cannot drift apart.
*/}}
{{- define "appconnector.runtimeAgentLease" -}}appconnector-runtime-agent{{- end -}}

{{/* The runtime agent's default --gateway-base-url: the gateway Service's Compass-form port. */}}
{{- define "appconnector.runtimeAgentGatewayBaseURL" -}}
{{ .Values.runtimeAgent.gatewayBaseURL | default (printf "http://%s-gateway.%s.svc.cluster.local:8082" (include "appconnector.fullname" .) .Release.Namespace) }}
{{- end -}}
