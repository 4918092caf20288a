# Workload roles. Each grants only the prefixes and API families its workload touches:
# the API reads model bundles and the registry index; Dagster runs read/write the lake,
# query Athena/Glue and submit SageMaker jobs; SageMaker training reads features and
# writes its output.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

# Names and prefixes come from the file the pipeline code reads (retail_assets/aws_names.json).
module "names" {
  source     = "../names"
  deployment = var.deployment
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  issuer     = trimprefix(var.oidc_issuer, "https://")
  arn_prefix = "arn:${local.partition}"
  sagemaker  = "${local.arn_prefix}:sagemaker:${local.region}:${local.account_id}"
  glue       = "${local.arn_prefix}:glue:${local.region}:${local.account_id}"
  tags       = { Component = "iam" }

  prefix       = module.names.lake_prefixes
  group        = module.names.model_package_group
  namespaces   = values(module.names.cloudwatch_namespaces)
  training_job = "${local.sagemaker}:training-job/${module.names.training_job_prefix}*"
}

# ---- trust policies -------------------------------------------------------------------

data "aws_iam_policy_document" "api_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["system:serviceaccount:${replace(var.api_service_account, "/", ":")}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "dagster_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [for sa in var.dagster_service_accounts : "system:serviceaccount:${replace(sa, "/", ":")}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "sagemaker_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# ---- inference API: read model bundles and the registry index, nothing else ------------

data "aws_iam_policy_document" "api" {
  statement {
    sid     = "ReadModelArtifacts"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${var.lake_bucket_arn}/${local.prefix.models}/*",
      "${var.lake_bucket_arn}/${local.prefix.registry}/*",
    ]
  }
  statement {
    sid       = "ListModelArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.prefix.models}/*", "${local.prefix.registry}/*"]
    }
  }
  statement {
    sid       = "DecryptThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api" {
  name                 = "${var.name_prefix}-inference-api"
  description          = "IRSA role of the inference API pods: read-only on model artifacts"
  assume_role_policy   = data.aws_iam_policy_document.api_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "api" {
  name   = "read-model-artifacts"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}

# ---- Dagster user code and run pods ----------------------------------------------------

data "aws_iam_policy_document" "dagster" {
  statement {
    sid     = "LakeReadWrite"
    actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${var.lake_bucket_arn}/${local.prefix.root}/*",
      "${var.lake_bucket_arn}/${local.prefix.dagster_logs}/*",
      "${var.lake_bucket_arn}/${local.prefix.athena_results}/*",
    ]
  }
  statement {
    sid       = "LakeList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.lake_bucket_arn]
  }
  statement {
    sid       = "LakeKms"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "athena.${local.region}.amazonaws.com"]
    }
  }
  statement {
    sid = "AthenaQueries"
    actions = [
      "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
      "athena:GetQueryResults", "athena:BatchGetQueryExecution", "athena:GetWorkGroup",
    ]
    resources = ["${local.arn_prefix}:athena:${local.region}:${local.account_id}:workgroup/${var.athena_workgroup_name}"]
  }
  statement {
    sid = "GlueCatalog"
    actions = [
      "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
      "glue:DeleteTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
      "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
      "glue:DeletePartition", "glue:BatchDeletePartition",
    ]
    resources = [
      "${local.glue}:catalog",
      "${local.glue}:database/${var.glue_database_name}",
      "${local.glue}:table/${var.glue_database_name}/*",
    ]
  }
  statement {
    # retail_assets/ml/sagemaker_training.py names every job <training_job_prefix><time>-<id>.
    sid       = "SageMakerTraining"
    actions   = ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:AddTags"]
    resources = [local.training_job]
  }
  statement {
    sid = "SageMakerModelRegistry"
    actions = [
      "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage",
      "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages", "sagemaker:AddTags",
    ]
    resources = [
      "${local.sagemaker}:model-package-group/${local.group}",
      "${local.sagemaker}:model-package/${local.group}/*",
    ]
  }
  statement {
    sid = "SageMakerFeatureStore"
    actions = [
      "sagemaker:CreateFeatureGroup", "sagemaker:DescribeFeatureGroup", "sagemaker:PutRecord",
      "sagemaker:GetRecord", "sagemaker:BatchGetRecord",
    ]
    resources = ["${local.sagemaker}:feature-group/${module.names.feature_group}"]
  }
  statement {
    sid       = "PassTrainingRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    # PutMetricData has no resource type; the namespace condition is what scopes it.
    # The monitoring dashboard reads these (see infra/README.md, "Metrics").
    sid       = "PublishPipelineMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = local.namespaces
    }
  }
  statement {
    sid       = "ReadTrainingLogs"
    actions   = ["logs:GetLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/TrainingJobs:*"]
  }
}

resource "aws_iam_role" "dagster" {
  name                 = "${var.name_prefix}-dagster"
  description          = "IRSA role of Dagster user code and run pods"
  assume_role_policy   = data.aws_iam_policy_document.dagster_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "dagster" {
  name   = "pipeline"
  role   = aws_iam_role.dagster.id
  policy = data.aws_iam_policy_document.dagster.json
}

# ---- SageMaker training execution role -------------------------------------------------

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid     = "ReadTrainingInputs"
    actions = ["s3:GetObject"]
    resources = [
      "${var.lake_bucket_arn}/${local.prefix.gold}/*",
      "${var.lake_bucket_arn}/${local.prefix.features}/*",
    ]
  }
  statement {
    # A managed spot job that was interrupted restarts by downloading its checkpoints.
    sid       = "ReadCheckpoints"
    actions   = ["s3:GetObject"]
    resources = ["${var.lake_bucket_arn}/${local.prefix.checkpoints}/*"]
  }
  statement {
    sid       = "WriteTrainingOutputs"
    actions   = ["s3:PutObject"]
    resources = ["${var.lake_bucket_arn}/${local.prefix.training}/*"]
  }
  statement {
    sid       = "ListTrainingPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.prefix.gold}/*", "${local.prefix.features}/*", "${local.prefix.training}/*"]
    }
  }
  statement {
    sid       = "LakeKms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
  statement {
    sid       = "PullPipelineImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.pipeline_repository_arn]
  }
  statement {
    # GetAuthorizationToken has no resource type; IAM only accepts "*" for it.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "TrainingLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/TrainingJobs:*"]
  }
  statement {
    # PutMetricData has no resource type; the namespace condition is what scopes it.
    sid       = "TrainingMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/TrainingJobs", module.names.cloudwatch_namespaces.training]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  name                 = "${var.name_prefix}-sagemaker-execution"
  description          = "Execution role of SageMaker training jobs"
  assume_role_policy   = data.aws_iam_policy_document.sagemaker_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "sagemaker" {
  name   = "training"
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.sagemaker.json
}
