# The AWS side of the model registry: each registered version becomes a model package in
# this group (name read by the pipeline as RETAIL_MODEL_PACKAGE_GROUP).
resource "aws_sagemaker_model_package_group" "price_sensitivity" {
  model_package_group_name        = "${var.name_prefix}-price-sensitivity"
  model_package_group_description = "Basket price-sensitivity classifiers (LA / MM / UM)"
  tags                            = { Component = "ml-registry" }
}
