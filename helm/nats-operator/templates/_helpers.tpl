{{/* The chart's name. */}}
{{- define "nats-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: the release name, with the chart name unless it holds it. */}}
{{- define "nats-operator.fullname" -}}
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

{{- define "nats-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nats-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "nats-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nats-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: choria
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "nats-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nats-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "nats-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
What the operator does with the API, and nothing more: RbacCoverageTest drives every feature path
(enrolment with autosign and manual signing, revocation sync, gateways, leaf nodes, monitoring,
capacity, features switched off, a NatsCluster deleted), records the operator's requests, and fails
naming the path when a rule is missing, and when a rule grants what no path uses. The same rules go
into the ClusterRole (all namespaces) or into a Role per watched namespace.
delete is granted only on the kinds some path deletes, never deletecollection: RBAC cannot narrow a
delete by label or by a name pattern, so the admission policy refuses a delete of any object that was
not the operator's (labelled, or owned by a NatsCluster).
*/}}
{{- define "nats-operator.rules" -}}
- apiGroups: ["choria.io"]
  resources: ["natsclusters"]
  verbs: ["list", "watch"]
- apiGroups: ["choria.io"]
  resources: ["natsclusters/status"]
  verbs: ["update"]
# delete: a StatefulSet whose claim templates spec.streams changes (orphaning its pods; made anew at once)
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["create", "delete", "get", "list", "update", "watch"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["create", "get", "list", "update", "watch"]
# delete: the <name>-tls-request Secret (key and CSR) once Puppet has signed
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "delete", "get", "list", "update", "watch"]
# delete: the puppet alias, gateway and leaf node Services once the spec switches them off
- apiGroups: [""]
  resources: ["services"]
  verbs: ["create", "delete", "get", "list", "update", "watch"]
# the brokers' JetStream claims (spec.streams), grown when the size grows; never created or deleted
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "update"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["create", "get", "list", "update", "watch"]
# delete: the NetworkPolicy once spec.networkPolicy.enabled is false
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["create", "delete", "get", "list", "update", "watch"]
# spec.monitoring.podMonitor: written directly, no informer (the kind may not exist), so no list/watch;
# delete: once spec.monitoring.podMonitor.enabled is false
- apiGroups: ["monitoring.coreos.com"]
  resources: ["podmonitors"]
  verbs: ["create", "delete", "get", "update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/*
CEL for the admission policy: the labels map given (a CEL expression) is exactly the brokers'
selector (Labels.selector: app.kubernetes.io/name=nats and an app.kubernetes.io/instance), the
one thing the operator's Services, NetworkPolicies and PodMonitors select.
*/}}
{{- define "nats-operator.celBrokerLabels" -}}
(size({{ . }}) == 2 && 'app.kubernetes.io/name' in {{ . }} && {{ . }}['app.kubernetes.io/name'] == 'nats' && 'app.kubernetes.io/instance' in {{ . }})
{{- end }}

{{/* The same for a LabelSelector: matchLabels only, no matchExpressions. */}}
{{- define "nats-operator.celBrokerSelector" -}}
(has({{ . }}.matchLabels) && {{ include "nats-operator.celBrokerLabels" (printf "%s.matchLabels" .) }} && (!has({{ . }}.matchExpressions) || size({{ . }}.matchExpressions) == 0))
{{- end }}
