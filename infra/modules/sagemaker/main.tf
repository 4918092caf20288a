# The AWS side of the model registry: each registered version becomes a model package in
# this group. Its name is model_package_group in retail_assets/aws_names.json, which the
# code derives from RETAIL_DEPLOYMENT.
module "names" {
  source     = "../names"
  deployment = var.deployment
}

resource "aws_sagemaker_model_package_group" "price_sensitivity" {
  model_package_group_name        = module.names.model_package_group
  model_package_group_description = "Basket price-sensitivity classifiers (LA / MM / UM)"
  tags                            = { Component = "ml-registry" }
}
