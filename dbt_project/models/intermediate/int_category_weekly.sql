with

product_weekly as (

    select * from {{ ref('int_product_weekly') }}

),

final as (

    -- The category (PROD_CODE_10) side of the price index.
    select
        prod_code_10,
        shop_week,
        cast(sum(spend) as double) as spend,
        cast(sum(quantity) as bigint) as quantity

    from product_weekly
    group by prod_code_10, shop_week

)

select * from final
