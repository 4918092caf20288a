{{- define "cluster-platform.clusterName" -}}
{{- required "clusterName is required (mlops-<env>-eks)" .Values.clusterName -}}
{{- end -}}

{{- define "cluster-platform.accountId" -}}
{{- required "aws.accountId is required (the account of the autoscaler's IRSA role)" .Values.aws.accountId -}}
{{- end -}}

{{- define "cluster-platform.autoscalerRoleArn" -}}
{{- .Values.clusterAutoscaler.roleArn | default (printf "arn:aws:iam::%s:role/%s-cluster-autoscaler" (include "cluster-platform.accountId" .) (include "cluster-platform.clusterName" .)) -}}
{{- end -}}

{{- define "cluster-platform.labels" -}}
app.kubernetes.io/part-of: cluster-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "cluster-platform.autoscalerSelector" -}}
app.kubernetes.io/name: cluster-autoscaler
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
