{{ config(**weekly_incremental_config(['shop_week'])) }}

{%- set weeks = weeks_to_build('select distinct shop_week from ' ~ ref('int_product_weekly')) %}

with

product_weekly as (

    select * from {{ ref('int_product_weekly') }}
    {%- if weeks is not none %}
    where {{ in_weeks('shop_week', weeks) }}
    {%- endif %}

),

final as (

    -- The category (PROD_CODE_10) side of the price index.
    select
        prod_code_10,
        cast(sum(spend) as double) as spend,
        cast(sum(quantity) as bigint) as quantity,
        shop_week

    from product_weekly
    group by prod_code_10, shop_week

)

select * from final
