{{ config(severity='warn') }}

-- fct_baskets takes max() of the basket-level fields, trusting that every line of a
-- basket carries the same values; this lists the baskets where they differ.
select
    BASKET_ID,
    count(distinct shop_week) as n_weeks,
    count(distinct BASKET_PRICE_SENSITIVITY) as n_labels,
    count(distinct STORE_FORMAT) as n_store_formats,
    count(distinct store_region) as n_store_regions,
    count(distinct SHOP_WEEKDAY) as n_weekdays,
    count(distinct SHOP_HOUR) as n_hours

from {{ ref('stg_transactions') }}
group by BASKET_ID
having count(distinct shop_week) > 1
    or count(distinct BASKET_PRICE_SENSITIVITY) > 1
    or count(distinct STORE_FORMAT) > 1
    or count(distinct store_region) > 1
    or count(distinct SHOP_WEEKDAY) > 1
    or count(distinct SHOP_HOUR) > 1
