{{ config(**lake_materialization('gold/product_features_pit', partition_by=['as_of_week'], rebuilds_later_weeks=true)) }}

{#- Sums over the weeks strictly before the row's week: the point-in-time window. -#}
{%- set product_history = 'over (partition by prod_code order by as_of_week rows between unbounded preceding and 1 preceding)' -%}
{%- set category_history = 'over (partition by prod_code_10 order by as_of_week rows between unbounded preceding and 1 preceding)' -%}
{%- set product_sums = ['n_lines', 'n_la', 'n_mm', 'n_um', 'n_solo_la', 'n_solo_mm', 'n_solo_um', 'n_solo_xx', 'spend', 'quantity'] -%}
{#- An incremental run writes the rows of the weeks it builds; the windows still see every
    earlier week of the (small) weekly product table. -#}
{%- set weeks = weeks_to_build('select distinct shop_week from ' ~ ref('int_product_weekly'),
    week_column='as_of_week', rebuilds_later_weeks=true) %}

with

product_weekly as (

    select * from {{ ref('int_product_weekly') }}
    {%- if weeks %}
    where shop_week <= {{ weeks | max }}
    {%- endif %}

),

category_weekly as (

    select * from {{ ref('int_category_weekly') }}
    {%- if weeks %}
    where shop_week <= {{ weeks | max }}
    {%- endif %}

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
-- week W still has its history as of W.
product_weeks as (

    select
        products.prod_code,
        products.prod_code_10,
        products.first_week,
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
        product_weeks.first_week,
        product_weeks.as_of_week,
        coalesce(product_weekly.n_labelled_lines, 0) as n_lines,
        {% for column in product_sums[1:] -%}
        coalesce(product_weekly.{{ column }}, 0) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
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

product_history as (

    select
        prod_code,
        prod_code_10,
        first_week,
        as_of_week,
        {% for column in product_sums -%}
        coalesce(sum({{ column }}) {{ product_history }}, 0) as {{ column }}{{ ',' if not loop.last }}
        {% endfor %}
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

    -- A product has a row from the week after its first week on; before that it is
    -- unknown (never-seen values), exactly as a product missing from the online table.
    select
        product_history.prod_code,
        cast(product_history.n_lines as bigint) as n_lines,
        {{ smoothed_label_share('product_history.n_la', 'product_history.n_lines') }} as p_la,
        {{ smoothed_label_share('product_history.n_mm', 'product_history.n_lines') }} as p_mm,
        {{ smoothed_label_share('product_history.n_um', 'product_history.n_lines') }} as p_um,
        {{ log_price_index(
            'product_history.spend', 'product_history.quantity',
            'category_history.spend', 'category_history.quantity'
        ) }} as log_price_index,
        {% for label in ['la', 'mm', 'um', 'xx'] -%}
        cast(product_history.n_solo_{{ label }} as bigint) as n_solo_{{ label }},
        {% endfor -%}
        cast(product_history.as_of_week as integer) as as_of_week

    from product_history
    inner join category_history
        on category_history.prod_code_10 = product_history.prod_code_10
        and category_history.as_of_week = product_history.as_of_week
    where product_history.as_of_week > product_history.first_week
    {%- if weeks is not none %}
        and {{ in_weeks('product_history.as_of_week', weeks) }}
    {%- endif %}

)

select * from final
