{{ config(**lake_materialization('gold/fct_baskets', partition_by=['shop_week'], rebuilds_later_weeks=true)) }}

{%- set weeks = weeks_to_build('select distinct shop_week from ' ~ ref('stg_transactions'), rebuilds_later_weeks=true) %}

with

transactions as (

    select * from {{ ref('stg_transactions') }}
    {%- if weeks is not none %}
    where {{ in_weeks('shop_week', weeks) }}
    {%- endif %}

),

product_features as (

    select * from {{ ref('product_features_pit') }}
    {%- if weeks is not none %}
    where {{ in_weeks('as_of_week', weeks) }}
    {%- endif %}

),

basket_lines as (

    -- Each line sees its product's statistics as of the basket's week (weeks before it).
    -- A product without a row there gets the never-seen values, as in serving.
    select
        transactions.BASKET_ID as basket_id,
        transactions.shop_week,
        transactions.BASKET_PRICE_SENSITIVITY as label,
        transactions.STORE_FORMAT as store_format,
        transactions.store_region,
        transactions.CUST_PRICE_SENSITIVITY as cust_price_sensitivity,
        transactions.CUST_LIFESTAGE as cust_lifestage,
        transactions.SHOP_WEEKDAY as shop_weekday,
        transactions.SHOP_HOUR as shop_hour,
        transactions.QUANTITY as quantity,
        transactions.SPEND as spend,
        coalesce(product_features.n_lines, 0) as product_n_lines,
        coalesce(product_features.p_la, cast(1 as double) / 3) as p_la,
        coalesce(product_features.p_mm, cast(1 as double) / 3) as p_mm,
        coalesce(product_features.p_um, cast(1 as double) / 3) as p_um,
        coalesce(product_features.log_price_index, cast(0 as double)) as log_price_index,
        {{ product_class('product_features') }} as product_class

    from transactions
    left join product_features
        on product_features.prod_code = transactions.PROD_CODE
        and product_features.as_of_week = transactions.shop_week

),

baskets as (

    -- Basket-level fields are equal on every line of a basket, so max() just picks them.
    select
        basket_id,
        max(label) as label,
        max(store_format) as store_format,
        max(store_region) as store_region,
        max(cust_price_sensitivity) as cust_price_sensitivity,
        max(cust_lifestage) as cust_lifestage,
        cast(count(*) as bigint) as n_lines,
        cast(sum(quantity) as bigint) as total_quantity,
        cast(sum(spend) as double) as total_spend,
        avg(p_la) as avg_p_la,
        avg(p_mm) as avg_p_mm,
        avg(p_um) as avg_p_um,
        max(p_la) as max_p_la,
        max(p_um) as max_p_um,
        avg(log_price_index) as avg_log_price_index,
        avg(case when product_n_lines > 0 then cast(1 as double) else cast(0 as double) end)
            as known_product_share,
        cast(max(shop_weekday) as integer) as shop_weekday,
        cast(max(shop_hour) as integer) as shop_hour,
        {% for label in ['LA', 'MM', 'UM', 'XX'] -%}
        cast(sum(case when product_class = '{{ label }}' then 1 else 0 end) as bigint)
            as {{ label | lower }}_class_lines,
        {% endfor -%}
        cast(sum(case when product_class is null then 1 else 0 end) as bigint) as unclassed_lines,
        {% for label in ['LA', 'UM'] -%}
        cast(sum(case when product_class = '{{ label }}' then spend else 0 end) as double)
            as {{ label | lower }}_class_spend,
        {% endfor -%}
        max(shop_week) as shop_week

    from basket_lines
    group by basket_id

),

final as (

    select
        basket_id,
        label,
        store_format,
        store_region,
        cust_price_sensitivity,
        cust_lifestage,
        n_lines,
        total_quantity,
        total_spend,
        avg_p_la,
        avg_p_mm,
        avg_p_um,
        max_p_la,
        max_p_um,
        avg_log_price_index,
        known_product_share,
        shop_weekday,
        shop_hour,
        la_class_lines,
        mm_class_lines,
        um_class_lines,
        xx_class_lines,
        unclassed_lines,
        {{ ratio('la_class_lines', 'n_lines') }} as la_class_share,
        {{ ratio('um_class_lines', 'n_lines') }} as um_class_share,
        {{ ratio('um_class_lines - la_class_lines', 'n_lines') }} as class_balance,
        {{ ratio('la_class_spend', 'total_spend') }} as la_class_spend_share,
        {{ ratio('um_class_spend', 'total_spend') }} as um_class_spend_share,
        cast(shop_week as integer) as shop_week

    from baskets

)

select * from final
