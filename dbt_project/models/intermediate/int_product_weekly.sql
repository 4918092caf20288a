{{ config(**weekly_incremental_config(['shop_week'])) }}

{%- set weeks = weeks_to_build('select distinct shop_week from ' ~ ref('stg_transactions')) %}

with

transactions as (

    -- A basket lies in one week, so its line count needs no other week.
    select
        *,
        count(*) over (partition by BASKET_ID) as basket_lines

    from {{ ref('stg_transactions') }}
    {%- if weeks is not none %}
    where {{ in_weeks('shop_week', weeks) }}
    {%- endif %}

),

final as (

    -- Lines of baskets labelled XX count in spend and quantity, not in label counts.
    -- n_solo_*: labels of single-line baskets, the one place a label belongs to one product.
    select
        PROD_CODE as prod_code,
        max(PROD_CODE_10) as prod_code_10,
        {% for label in labelled_classes() -%}
        cast(sum(case when BASKET_PRICE_SENSITIVITY = '{{ label }}' then 1 else 0 end) as bigint)
            as n_{{ label | lower }},
        {% endfor -%}
        cast(sum(case when BASKET_PRICE_SENSITIVITY in ('{{ labelled_classes() | join("', '") }}') then 1 else 0 end) as bigint)
            as n_labelled_lines,
        cast(sum(SPEND) as double) as spend,
        cast(sum(QUANTITY) as bigint) as quantity,
        {% for label in labelled_classes() + ['XX'] -%}
        cast(sum(case when basket_lines = 1 and BASKET_PRICE_SENSITIVITY = '{{ label }}' then 1 else 0 end) as bigint)
            as n_solo_{{ label | lower }},
        {% endfor -%}
        shop_week

    from transactions
    group by PROD_CODE, shop_week

)

select * from final
