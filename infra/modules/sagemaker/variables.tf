variable "name_prefix" {
  type = string
}
