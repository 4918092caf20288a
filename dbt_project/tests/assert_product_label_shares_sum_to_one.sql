{{ config(meta={'dagster': {'ref': {'name': 'product_features_pit'}}}) }}

-- p_la + p_mm + p_um = 1 for every product row, point-in-time and latest.
select 'product_features_pit' as model, prod_code, as_of_week, p_la + p_mm + p_um as total
from {{ ref('product_features_pit') }}
where abs(p_la + p_mm + p_um - 1) > 1e-9

union all

select 'product_features_latest' as model, prod_code, null as as_of_week, p_la + p_mm + p_um as total
from {{ ref('product_features_latest') }}
where abs(p_la + p_mm + p_um - 1) > 1e-9
