{{ config(**lake_materialization('gold/product_features_latest')) }}

with

product_weekly as (

    select * from {{ ref('int_product_weekly') }}

),

category_weekly as (

    select * from {{ ref('int_category_weekly') }}

),

products as (

    select
        prod_code,
        max(prod_code_10) as prod_code_10,
        sum(n_labelled_lines) as n_lines,
        sum(n_la) as n_la,
        sum(n_mm) as n_mm,
        sum(n_um) as n_um,
        {% for label in ['la', 'mm', 'um', 'xx'] -%}
        sum(n_solo_{{ label }}) as n_solo_{{ label }},
        {% endfor -%}
        sum(spend) as spend,
        sum(quantity) as quantity

    from product_weekly
    group by prod_code

),

categories as (

    select
        prod_code_10,
        sum(spend) as spend,
        sum(quantity) as quantity

    from category_weekly
    group by prod_code_10

),

final as (

    -- Every week loaded: the online table that the serving bundle carries.
    select
        products.prod_code,
        cast(products.n_lines as bigint) as n_lines,
        {{ smoothed_label_share('products.n_la', 'products.n_lines') }} as p_la,
        {{ smoothed_label_share('products.n_mm', 'products.n_lines') }} as p_mm,
        {{ smoothed_label_share('products.n_um', 'products.n_lines') }} as p_um,
        {{ log_price_index('products.spend', 'products.quantity', 'categories.spend', 'categories.quantity') }}
            as log_price_index,
        {% for label in ['la', 'mm', 'um', 'xx'] -%}
        cast(products.n_solo_{{ label }} as bigint) as n_solo_{{ label }}{{ ',' if not loop.last }}
        {% endfor %}
    from products
    left join categories on categories.prod_code_10 = products.prod_code_10

)

select * from final
