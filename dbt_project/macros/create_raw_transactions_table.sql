{#-
    Athena only: register the raw layer as the Glue table the `raw.transactions` source
    reads, then load its partitions. Run after ingestion writes a new week:
        dbt run-operation create_raw_transactions_table --target athena
    The partition key shop_week replaces the in-file SHOP_WEEK column (Hive forbids a data
    column and a partition key of the same name; the values are equal by contract).
-#}
{% macro create_raw_transactions_table() %}
    {%- set relation = source('raw', 'transactions') -%}
    {%- set location = lake_path('raw') ~ '/' -%}
    {%- if target.type != 'athena' -%}
        {%- do exceptions.raise_compiler_error(
            'create_raw_transactions_table is for --target athena; on ' ~ target.type
            ~ ' the source reads ' ~ relation ~ ' directly') -%}
    {%- endif -%}
    {% set ddl %}
create external table if not exists `{{ relation.schema }}`.`{{ relation.identifier }}` (
    shop_date int,
    shop_weekday tinyint,
    shop_hour tinyint,
    quantity int,
    spend double,
    prod_code string,
    prod_code_10 string,
    prod_code_20 string,
    prod_code_30 string,
    prod_code_40 string,
    cust_code string,
    cust_price_sensitivity string,
    cust_lifestage string,
    basket_id bigint,
    basket_size string,
    basket_price_sensitivity string,
    basket_type string,
    basket_dominant_mission string,
    store_code string,
    store_format string,
    store_region string
)
partitioned by (shop_week int)
stored as parquet
location '{{ location }}'
    {% endset %}
    {% do run_query(ddl) %}
    {% do run_query('msck repair table `' ~ relation.schema ~ '`.`' ~ relation.identifier ~ '`') %}
    {{ log('registered ' ~ relation ~ ' at ' ~ location, info=true) }}
{% endmacro %}
