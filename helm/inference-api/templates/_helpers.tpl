{{- define "inference-api.name" -}}
{{- .Chart.Name -}}
{{- end -}}

{{- define "inference-api.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "inference-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inference-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "inference-api.labels" -}}
{{ include "inference-api.selectorLabels" . }}
app.kubernetes.io/version: {{ include "inference-api.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
environment: {{ .Values.environment }}
{{- end -}}

{{- define "inference-api.accountId" -}}
{{- required "aws.accountId is required with aws.enabled (the account of the ECR repository and IRSA role)" .Values.aws.accountId -}}
{{- end -}}

{{- define "inference-api.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* ECR of aws.accountId on AWS; elsewhere image.registry, or none (an image the cluster already has). */}}
{{- define "inference-api.image" -}}
{{- $registry := .Values.image.registry -}}
{{- if and (not $registry) .Values.aws.enabled -}}
{{- $registry = printf "%s.dkr.ecr.%s.amazonaws.com" (include "inference-api.accountId" .) .Values.aws.region -}}
{{- end -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository (include "inference-api.tag" .) -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "inference-api.tag" .) -}}
{{- end -}}
{{- end -}}

{{- define "inference-api.roleArn" -}}
{{- .Values.serviceAccount.roleArn | default (printf "arn:aws:iam::%s:role/mlops-%s-inference-api" (include "inference-api.accountId" .) .Values.environment) -}}
{{- end -}}

{{- define "inference-api.lakeBucket" -}}
{{- printf "mlops-%s-retail" .Values.environment -}}
{{- end -}}

{{/* The lake the API reads: the environment's bucket on AWS, lake.uri (or the /lake volume) elsewhere. */}}
{{- define "inference-api.lake" -}}
{{- if .Values.aws.enabled -}}
{{- printf "s3://%s" (include "inference-api.lakeBucket" .) -}}
{{- else -}}
{{- .Values.lake.uri | default "/lake" -}}
{{- end -}}
{{- end -}}
