{#-
    Weekly incremental builds. A run builds the weeks upstream has and the model lacks, plus
    the weeks of var shop_weeks (weeks whose raw data changed after they were built; the
    Dagster asset passes them). A point-in-time model also rebuilds every week after the
    earliest of those, since their history changed. `dbt build --full-refresh` rebuilds all
    weeks; both paths give the same tables (tests/dbt_project/test_dbt_incremental.py).
-#}

{% macro weekly_incremental_config(partition_by, external_location=none) -%}
    {#-
        Model config for a table partitioned by week (partition_by[0]); a plain table
        without partition_by.
        DuckDB: delete+insert keyed by the week.
        Athena: Hive Parquet partitioned by `partition_by`, insert_overwrite by partition,
        written in batches (force_batch) so no statement opens more than 100 partitions.
    -#}
    {%- set config = {'materialized': 'incremental' if partition_by else 'table'} -%}
    {%- if target.type == 'athena' -%}
        {%- do config.update({'format': 'parquet', 'write_compression': 'zstd'}) -%}
        {%- if external_location -%}
            {%- do config.update({'external_location': external_location}) -%}
        {%- endif -%}
        {%- if partition_by -%}
            {%- do config.update({
                'partitioned_by': partition_by,
                'incremental_strategy': 'insert_overwrite',
                'force_batch': true,
                'partitions_limit': 100,
            }) -%}
        {%- endif -%}
    {%- elif partition_by -%}
        {%- do config.update({'incremental_strategy': 'delete+insert', 'unique_key': partition_by[0]}) -%}
    {%- endif -%}
    {{- return(config) -}}
{%- endmacro %}


{% macro weekly_incremental() -%}
    {#-
        is_incremental(), but only when dbt runs models: while compiling (dbt compile, docs)
        nothing asks the warehouse, so `dbt compile --target athena --no-introspect` works
        offline; there, var compile_incremental: true renders the incremental branch.
    -#}
    {%- if flags.WHICH not in ['run', 'build'] -%}
        {{- return(var('compile_incremental', false) | as_bool) -}}
    {%- endif -%}
    {#- A unit test renders the model's full build (its `this` is none). -#}
    {{- return(this is not none and is_incremental()) -}}
{%- endmacro %}


{% macro changed_weeks() -%}
    {#- var shop_weeks (a list, or a comma-separated string) as a sorted list of ints. -#}
    {%- set weeks = var('shop_weeks', []) -%}
    {%- if weeks is string -%}
        {%- set weeks = weeks.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- elif weeks is number -%}
        {%- set weeks = [weeks] -%}
    {%- endif -%}
    {{- return(weeks | map('int') | sort) -}}
{%- endmacro %}


{% macro weeks_to_build(upstream_weeks, week_column='shop_week', rebuilds_later_weeks=false) -%}
    {#-
        The weeks this run builds, as a sorted list of ints; none on a full build (every
        week). `upstream_weeks`: a query whose column `shop_week` lists the weeks available
        upstream. Those the model lacks are built, and the changed ones; a point-in-time
        model also rebuilds every week after the earliest of them (a week delivered late
        changes the history of every later week too). A literal list, so the upstream scan
        reads only those weeks' files (DuckDB) or partitions (Athena).
    -#}
    {%- if not weekly_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set changed = changed_weeks() -%}
    {%- if flags.WHICH not in ['run', 'build'] -%}
        {{- return(changed) -}}
    {%- endif -%}
    {%- set query -%}
        with upstream as ({{ upstream_weeks }}),
        stale as (
            select shop_week from upstream
            where shop_week not in (select distinct {{ week_column }} from {{ this }})
            {%- if changed %}
                or shop_week in ({{ changed | join(', ') }})
            {%- endif %}
        )
        select distinct shop_week from upstream
        {%- if rebuilds_later_weeks %}
        where shop_week >= (select min(shop_week) from stale)
        {%- else %}
        where shop_week in (select shop_week from stale)
        {%- endif %}
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | map('int') | sort) -}}
{%- endmacro %}


{% macro in_weeks(column, weeks) -%}
    {#- `column` in the list; false for an empty list (nothing to build). -#}
    {%- if weeks -%}
        {{ column }} in ({{ weeks | join(', ') }})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}
