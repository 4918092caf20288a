{{ config(**lake_materialization('gold/fct_baskets')) }}

with

transactions as (

    select * from {{ ref('stg_transactions') }}

),

product_features as (

    select * from {{ ref('product_features_pit') }}

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
        coalesce(product_features.log_price_index, cast(0 as double)) as log_price_index

    from transactions
    left join product_features
        on product_features.prod_code = transactions.PROD_CODE
        and product_features.as_of_week = transactions.shop_week

),

final as (

    -- Basket-level fields are equal on every line of a basket, so max() just picks them.
    select
        basket_id,
        cast(max(shop_week) as integer) as shop_week,
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
        cast(max(shop_hour) as integer) as shop_hour

    from basket_lines
    group by basket_id

)

select * from final
