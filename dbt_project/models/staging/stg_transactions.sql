{{ config(**lake_materialization('silver/transactions', partition_by=['shop_week', 'store_region'])) }}

{#- Incremental runs read only the weeks they build (on Athena the raw table's partition
    key shop_week answers to SHOP_WEEK: identifiers are case-insensitive there). -#}
{%- set weeks = weeks_to_build('select SHOP_WEEK as shop_week from ' ~ source('raw', 'transactions')) %}

with

source as (

    select * from {{ source('raw', 'transactions') }}
    {%- if weeks is not none %}
    where {{ in_weeks('SHOP_WEEK', weeks) }}
    {%- endif %}

),

renamed as (

    -- Canonical upper-case columns, except the Hive partition keys shop_week and
    -- store_region: lower case (as in the lake paths) and last (as Athena requires).
    select
        cast(SHOP_DATE as integer) as SHOP_DATE,
        cast(SHOP_WEEKDAY as tinyint) as SHOP_WEEKDAY,
        cast(SHOP_HOUR as tinyint) as SHOP_HOUR,
        cast(QUANTITY as integer) as QUANTITY,
        cast(SPEND as double) as SPEND,
        upper(trim(PROD_CODE)) as PROD_CODE,
        upper(trim(PROD_CODE_10)) as PROD_CODE_10,
        upper(trim(PROD_CODE_20)) as PROD_CODE_20,
        upper(trim(PROD_CODE_30)) as PROD_CODE_30,
        upper(trim(PROD_CODE_40)) as PROD_CODE_40,
        nullif(upper(trim(CUST_CODE)), '') as CUST_CODE,
        nullif(upper(trim(CUST_PRICE_SENSITIVITY)), '') as CUST_PRICE_SENSITIVITY,
        nullif(upper(trim(CUST_LIFESTAGE)), '') as CUST_LIFESTAGE,
        cast(BASKET_ID as bigint) as BASKET_ID,
        upper(trim(BASKET_SIZE)) as BASKET_SIZE,
        upper(trim(BASKET_PRICE_SENSITIVITY)) as BASKET_PRICE_SENSITIVITY,
        trim(BASKET_TYPE) as BASKET_TYPE,
        trim(BASKET_DOMINANT_MISSION) as BASKET_DOMINANT_MISSION,
        upper(trim(STORE_CODE)) as STORE_CODE,
        upper(trim(STORE_FORMAT)) as STORE_FORMAT,
        cast(SHOP_WEEK as integer) as shop_week,
        upper(trim(STORE_REGION)) as store_region

    from source

),

final as (

    -- A line repeated exactly (every column equal) is a duplicate delivery, not a purchase.
    select distinct * from renamed

)

select * from final
