-- Every line of a basket is in exactly one product class, or unclassed.
select basket_id, n_lines, la_class_lines, mm_class_lines, um_class_lines, xx_class_lines, unclassed_lines
from {{ ref('fct_baskets') }}
where la_class_lines + mm_class_lines + um_class_lines + xx_class_lines + unclassed_lines <> n_lines
