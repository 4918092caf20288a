{{ config(**lake_materialization('gold/fct_price_sensitivity_mix', partition_by=['shop_week'])) }}

{%- set weeks = weeks_to_build('select distinct shop_week from ' ~ ref('stg_transactions')) %}

with

transactions as (

    select * from {{ ref('stg_transactions') }}
    {%- if weeks is not none %}
    where {{ in_weeks('shop_week', weeks) }}
    {%- endif %}

),

baskets as (

    -- Basket-level fields are equal on every line of a basket, so max() just picks them.
    select
        BASKET_ID as basket_id,
        max(STORE_CODE) as store_code,
        max(STORE_FORMAT) as store_format,
        max(store_region) as store_region,
        max(BASKET_DOMINANT_MISSION) as basket_dominant_mission,
        max(BASKET_TYPE) as basket_type,
        max(BASKET_SIZE) as basket_size,
        max(CUST_PRICE_SENSITIVITY) as cust_price_sensitivity,
        max(CUST_LIFESTAGE) as cust_lifestage,
        max(BASKET_PRICE_SENSITIVITY) as label,
        sum(SPEND) as spend,
        max(shop_week) as shop_week

    from transactions
    group by BASKET_ID

),

segmented as (

    -- An empty customer field (unknown customer, or a known one without a life stage)
    -- becomes 'unknown', so every basket is in exactly one row and sums add up.
    select
        store_code,
        store_format,
        store_region,
        basket_dominant_mission,
        basket_type,
        basket_size,
        coalesce(cust_price_sensitivity, 'unknown') as customer_segment,
        coalesce(cust_lifestage, 'unknown') as customer_lifestage,
        label,
        spend,
        shop_week

    from baskets

),

final as (

    -- Counts and spend, never shares: a share is sum(la_baskets) / sum(labelled_baskets)
    -- over whatever rows a question groups, which an average of shares would not be.
    select
        store_code,
        store_format,
        store_region,
        basket_dominant_mission,
        basket_type,
        basket_size,
        customer_segment,
        customer_lifestage,
        cast(count(*) as bigint) as baskets,
        cast(sum(case when label in ('LA', 'MM', 'UM') then 1 else 0 end) as bigint) as labelled_baskets,
        {% for label in ['LA', 'MM', 'UM', 'XX'] -%}
        cast(sum(case when label = '{{ label }}' then 1 else 0 end) as bigint) as {{ label | lower }}_baskets,
        {% endfor -%}
        cast(sum(spend) as double) as total_spend,
        {% for label in ['LA', 'MM', 'UM'] -%}
        cast(sum(case when label = '{{ label }}' then spend else 0 end) as double) as {{ label | lower }}_spend,
        {% endfor -%}
        cast(shop_week as integer) as shop_week

    from segmented
    group by
        store_code, store_format, store_region, basket_dominant_mission, basket_type, basket_size,
        customer_segment, customer_lifestage, shop_week

)

select * from final
