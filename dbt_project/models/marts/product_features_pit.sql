{{ config(**lake_materialization('gold/product_features_pit')) }}

{#- Sums over the weeks strictly before the row's week: the point-in-time window. -#}
{%- set product_history = 'over (partition by prod_code order by as_of_week rows between unbounded preceding and 1 preceding)' -%}
{%- set category_history = 'over (partition by prod_code_10 order by as_of_week rows between unbounded preceding and 1 preceding)' -%}

with

product_weekly as (

    select * from {{ ref('int_product_weekly') }}

),

category_weekly as (

    select * from {{ ref('int_category_weekly') }}

),

weeks as (

    select distinct shop_week as as_of_week from product_weekly

),

products as (

    select
        prod_code,
        max(prod_code_10) as prod_code_10,
        min(shop_week) as first_week

    from product_weekly
    group by prod_code

),

categories as (

    select
        prod_code_10,
        min(shop_week) as first_week

    from category_weekly
    group by prod_code_10

),

-- Product x week grid from the product's first week on, so that a product not sold in
-- week W still has a row (and its history) for W.
product_weeks as (

    select
        products.prod_code,
        products.prod_code_10,
        weeks.as_of_week

    from products
    inner join weeks on weeks.as_of_week >= products.first_week

),

category_weeks as (

    select
        categories.prod_code_10,
        weeks.as_of_week

    from categories
    inner join weeks on weeks.as_of_week >= categories.first_week

),

product_week_totals as (

    select
        product_weeks.prod_code,
        product_weeks.prod_code_10,
        product_weeks.as_of_week,
        coalesce(product_weekly.n_labelled_lines, 0) as n_lines,
        coalesce(product_weekly.n_la, 0) as n_la,
        coalesce(product_weekly.n_mm, 0) as n_mm,
        coalesce(product_weekly.n_um, 0) as n_um,
        coalesce(product_weekly.spend, 0) as spend,
        coalesce(product_weekly.quantity, 0) as quantity

    from product_weeks
    left join product_weekly
        on product_weekly.prod_code = product_weeks.prod_code
        and product_weekly.shop_week = product_weeks.as_of_week

),

category_week_totals as (

    select
        category_weeks.prod_code_10,
        category_weeks.as_of_week,
        coalesce(category_weekly.spend, 0) as spend,
        coalesce(category_weekly.quantity, 0) as quantity

    from category_weeks
    left join category_weekly
        on category_weekly.prod_code_10 = category_weeks.prod_code_10
        and category_weekly.shop_week = category_weeks.as_of_week

),

-- The first row of each product or category has an empty history: its sums are null.
product_history as (

    select
        prod_code,
        prod_code_10,
        as_of_week,
        coalesce(sum(n_lines) {{ product_history }}, 0) as n_lines,
        coalesce(sum(n_la) {{ product_history }}, 0) as n_la,
        coalesce(sum(n_mm) {{ product_history }}, 0) as n_mm,
        coalesce(sum(n_um) {{ product_history }}, 0) as n_um,
        coalesce(sum(spend) {{ product_history }}, 0) as spend,
        coalesce(sum(quantity) {{ product_history }}, 0) as quantity

    from product_week_totals

),

category_history as (

    select
        prod_code_10,
        as_of_week,
        coalesce(sum(spend) {{ category_history }}, 0) as spend,
        coalesce(sum(quantity) {{ category_history }}, 0) as quantity

    from category_week_totals

),

final as (

    select
        product_history.prod_code,
        cast(product_history.as_of_week as integer) as as_of_week,
        cast(product_history.n_lines as bigint) as n_lines,
        {{ smoothed_label_share('product_history.n_la', 'product_history.n_lines') }} as p_la,
        {{ smoothed_label_share('product_history.n_mm', 'product_history.n_lines') }} as p_mm,
        {{ smoothed_label_share('product_history.n_um', 'product_history.n_lines') }} as p_um,
        {{ log_price_index(
            'product_history.spend', 'product_history.quantity',
            'category_history.spend', 'category_history.quantity'
        ) }} as log_price_index

    from product_history
    inner join category_history
        on category_history.prod_code_10 = product_history.prod_code_10
        and category_history.as_of_week = product_history.as_of_week

)

select * from final
