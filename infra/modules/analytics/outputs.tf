output "workgroup_name" {
  value = aws_athena_workgroup.main.name
}

output "glue_database_name" {
  value = aws_glue_catalog_database.retail.name
}

output "raw_table_name" {
  value = aws_glue_catalog_table.raw_transactions.name
}
