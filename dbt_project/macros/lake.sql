{#- Where the lake lives and how models are written into it. -#}

{% macro lake_root() -%}
    {#- var > $RETAIL_LAKE > per-target default; no trailing slash. -#}
    {%- set root = var('lake_root', '') or env_var('RETAIL_LAKE', '') -%}
    {%- if not root -%}
        {%- set root = 's3://mlops-' ~ env_var('RETAIL_DEPLOYMENT', 'dev') ~ '-retail'
            if target.type == 'athena' else '../.retail/lake' -%}
    {%- endif -%}
    {{- return(root.rstrip('/')) -}}
{%- endmacro %}


{% macro lake_path(key) -%}
    {{- return(lake_root() ~ '/retail/' ~ key) -}}
{%- endmacro %}


{% macro lake_materialization(key, partition_by=[]) -%}
    {#-
        Config for a model whose data lands in the lake under retail/<key>/ (contracts.md
        section 2), Hive-partitioned by `partition_by` (lower case, last in the select).
        DuckDB: a table in the warehouse, exported to Parquet by a post-hook. (dbt-duckdb's
        `external` materialization would leave a view over the files instead, and every
        downstream model and test would rescan ~1,100 partition files.)
        Athena: a Parquet table at that S3 location.
    -#}
    {%- if target.type == 'duckdb' -%}
        {%- set location = lake_path(key) -%}
        {%- if partition_by -%}
            {%- set export -%}
                copy {{ '{{ this }}' }} to '{{ location }}'
                    (format parquet, partition_by ({{ partition_by | join(', ') }}), overwrite true)
            {%- endset -%}
        {%- else -%}
            {%- set export -%}
                copy {{ '{{ this }}' }} to '{{ location }}/part-0.parquet' (format parquet)
            {%- endset -%}
        {%- endif -%}
        {%- set config = {
            'materialized': 'table',
            'post_hook': make_lake_directories(key) + [export],
        } -%}
    {%- else -%}
        {%- set config = {
            'materialized': 'table',
            'format': 'parquet',
            'write_compression': 'snappy',
            'external_location': lake_path(key) ~ '/',
        } -%}
        {%- if partition_by -%}
            {%- do config.update({'partitioned_by': partition_by}) -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(config) -}}
{%- endmacro %}


{% macro make_lake_directories(key) -%}
    {#-
        Hook statements creating the lake root and retail/<key> below it (the root's
        parent must exist). DuckDB's COPY creates only the last directory of its target
        and SQL has no mkdir, but a zero-row partitioned COPY creates its directory and
        writes no file; existing directories are left untouched.
    -#}
    {%- set statements = [] -%}
    {%- set root = lake_root() -%}
    {%- if '://' not in root -%}
        {%- set ns = namespace(path=root) -%}
        {%- for part in [''] + ('retail/' ~ key).split('/') -%}
            {%- set ns.path = ns.path ~ ('/' ~ part if part else '') -%}
            {%- do statements.append(
                "copy (select 1 as level, 1 as unused where false) to '" ~ ns.path
                ~ "' (format parquet, partition_by (level), overwrite_or_ignore true)"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(statements) -}}
{%- endmacro %}
