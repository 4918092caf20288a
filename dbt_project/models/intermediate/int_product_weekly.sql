with

transactions as (

    select * from {{ ref('stg_transactions') }}

),

final as (

    -- Lines of baskets labelled XX count in spend and quantity, not in label counts.
    select
        PROD_CODE as prod_code,
        shop_week,
        max(PROD_CODE_10) as prod_code_10,
        {% for label in labelled_classes() -%}
        cast(sum(case when BASKET_PRICE_SENSITIVITY = '{{ label }}' then 1 else 0 end) as bigint)
            as n_{{ label | lower }},
        {% endfor -%}
        cast(sum(case when BASKET_PRICE_SENSITIVITY in ('{{ labelled_classes() | join("', '") }}') then 1 else 0 end) as bigint)
            as n_labelled_lines,
        cast(sum(SPEND) as double) as spend,
        cast(sum(QUANTITY) as bigint) as quantity

    from transactions
    group by PROD_CODE, shop_week

)

select * from final
