# The AWS names the pipeline code uses, read from the file the Python code reads
# (retail_assets/aws_names.json via retail_assets/aws_names.py). No resources: every
# module that names or grants something takes the names from here.
locals {
  raw = jsondecode(file("${path.module}/../../../retail_assets/aws_names.json"))
  resolved = {
    for k in ["name_prefix", "lake_bucket", "model_package_group", "feature_group"] :
    k => replace(local.raw[k], "{deployment}", var.deployment)
  }
}
