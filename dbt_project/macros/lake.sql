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


{% macro lake_materialization(key, partition_by=[], rebuilds_later_weeks=false) -%}
    {#-
        Config for a model whose data lands in the lake under retail/<key>/ (contracts.md
        section 2) as zstd Parquet, Hive-partitioned by `partition_by` (lower case, last in
        the select). With partition_by the first key is the week, and the model is
        incremental by week (macros/incremental.sql); without, a table rebuilt every run.
        DuckDB: a table in the warehouse, exported to the lake by a post-hook (only the
        weeks just built, on an incremental run). dbt-duckdb's `external` materialization
        would leave a view over the files instead, and every downstream model and test
        would rescan ~1,100 partition files.
        Athena: a Parquet table at that S3 location (macros/incremental.sql).
    -#}
    {%- set config = weekly_incremental_config(partition_by, external_location=lake_path(key) ~ '/') -%}
    {%- if target.type != 'athena' -%}
        {%- do config.update({'post_hook': [
            "{{ export_to_lake('" ~ key ~ "', " ~ tojson(partition_by) ~ ", " ~ tojson(rebuilds_later_weeks) ~ ") }}"
        ]}) -%}
    {%- endif -%}
    {{- return(config) -}}
{%- endmacro %}


{% macro export_to_lake(key, partition_by, rebuilds_later_weeks) -%}
    {#-
        DuckDB post-hook: copy the model into retail/<key>/ as zstd Parquet, one file
        (part-0.parquet) per partition. The first build and a full refresh write every week
        (locally into an emptied directory); an incremental run rewrites only the weeks it
        built, replacing their files. Which weeks those are is read from the data, not
        remembered: weeks in the table without files in the lake and the changed weeks of
        var shop_weeks (for a point-in-time model, every week from the earliest of those on:
        their history changed). Runs its statements itself and renders nothing.
    -#}
    {%- if not execute -%}{{- return('') -}}{%- endif -%}
    {%- set location = lake_path(key) -%}
    {%- for statement in make_lake_directories(key) -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- if not partition_by -%}
        {%- do run_query("copy " ~ this ~ " to '" ~ location ~ "/part-0.parquet' (format parquet, compression zstd)") -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set week = partition_by[0] -%}
    {%- set exported = [] if flags.FULL_REFRESH else weeks_in_lake(location, week) -%}
    {%- if not exported -%}
        {%- if '://' not in location -%}
            {#- Empties the directory (a zero-row COPY writes no file); DuckDB can only do
                that on a local disk. -#}
            {%- do run_query("copy (select 1 as level, 1 as unused where false) to '" ~ location
                ~ "' (format parquet, partition_by (level), overwrite true)") -%}
        {%- endif -%}
        {%- set query = "select distinct " ~ week ~ " from " ~ this -%}
    {%- else -%}
        {%- set changed = changed_weeks() -%}
        {%- set query -%}
            with stale as (
                select distinct {{ week }} as week from {{ this }}
                where {{ week }} not in ({{ exported | join(', ') }})
                {%- if changed %}
                    or {{ week }} in ({{ changed | join(', ') }})
                {%- endif %}
            )
            select distinct {{ week }} from {{ this }}
            {%- if rebuilds_later_weeks %}
            where {{ week }} >= (select min(week) from stale)
            {%- else %}
            where {{ week }} in (select week from stale)
            {%- endif %}
        {%- endset -%}
    {%- endif -%}
    {%- set weeks = run_query(query).columns[0].values() | map('int') | sort -%}
    {#- At most ~96 partitions per COPY: DuckDB keeps 100 files open before it closes one
        and starts a second file (part-1) in the same partition. -#}
    {%- set per_week = 1 -%}
    {%- if partition_by | length > 1 -%}
        {%- set per_week = run_query("select count(distinct " ~ partition_by[1:] | join(" || '/' || ") ~ ") from "
            ~ this).columns[0].values()[0] | int -%}
    {%- endif -%}
    {%- set batch = [1, 96 // [per_week, 1] | max] | max -%}
    {%- for i in range(0, weeks | length, batch) -%}
        {%- do run_query("copy (select * from " ~ this ~ " where " ~ week ~ " in (" ~ weeks[i:i + batch] | join(', ')
            ~ ")) to '" ~ location ~ "' (format parquet, compression zstd, partition_by (" ~ partition_by | join(', ')
            ~ "), filename_pattern 'part-{i}', overwrite_or_ignore true)") -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}


{% macro weeks_in_lake(location, week) -%}
    {#- Weeks that have at least one file under <location>/<week>=W/. -#}
    {%- set query -%}
        select distinct cast(regexp_extract(file, '/{{ week }}=([0-9]+)/', 1) as integer)
        from glob('{{ location }}/{{ week }}=*/**')
        order by 1
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | map('int') | list) -}}
{%- endmacro %}


{% macro make_lake_directories(key) -%}
    {#-
        Statements creating the lake root and retail/<key> below it (the root's parent must
        exist). DuckDB's COPY creates only the last directory of its target and SQL has no
        mkdir, but a zero-row partitioned COPY creates its directory and writes no file;
        existing directories are left untouched. Object stores need no directories.
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
