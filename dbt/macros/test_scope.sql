{#-
  Data tests scoped to the rows an incremental build just rebuilt.

  A full build (first run, --full-refresh) tests every row. An incremental build rebuilds only the
  evals / eval sets / days touched since the mart's watermark, so testing the whole mart again would
  make every build's cost grow with the warehouse, not with what was imported. The incremental marts'
  pre-hook (hawk_record_rebuild_scope) records, in the mart table's comment, this invocation's id and the
  watermark the build started from; the tests of that mart then read only the rows of the keys
  (`unique_key`: eval_pk, eval_set_id, usage_date, ...) holding a row newer than that watermark, i.e.
  the keys the build rewrote, found through the mart's index on source_updated_at and inlined as
  constants. A mart with no record for
  this invocation (a full build, a view, a table) is tested whole.

  Tests opt in with `where: "__hawk_rebuilt_rows__"` (dbt_project.yml, data_tests of the marts); dbt
  calls get_where_subquery on every generic test's model at run time, after the model was built.
-#}

{% macro hawk_rebuild_scope_prefix() -%}
    {{- 'hawk_rebuilt_since ' ~ invocation_id ~ ' ' -}}
{%- endmacro %}

{#- Pre-hook of the marts: records the watermark an incremental build starts from. -#}
{% macro hawk_record_rebuild_scope() -%}
    {%- if execute and model.config.materialized == 'incremental' and is_incremental() -%}
    do $hawk_scope$ begin
        execute format(
            'comment on table {{ this }} is %L',
            (select '{{ hawk_rebuild_scope_prefix() }}' || w.since::text from ({{ hawk_watermark() }}) as w)
        );
    end $hawk_scope$
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The condition selecting the rows this invocation rebuilt in `relation`, or '' (test every row). -#}
{% macro hawk_rebuilt_rows(relation) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set found = run_query(
        "select obj_description(to_regclass('" ~ relation ~ "'), 'pg_class')"
    ) -%}
    {%- set comment = found.columns[0].values()[0] if found is not none and found.rows | length > 0 else none -%}
    {%- set prefix = hawk_rebuild_scope_prefix() -%}
    {%- if comment is none or not comment.startswith(prefix) -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set since = comment[prefix | length:] -%}
    {%- set key = none -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
              and node.schema == relation.schema -%}
            {%- set key = node.config.unique_key -%}
            {%- if key -%}
                {#- the keys themselves, as constants: given a subquery, PostgreSQL may plan the test's own
                    filter (say `epoch is null`, "rare" by the statistics) as a scan of the whole mart -#}
                {%- set rebuilt = run_query(
                    "select distinct " ~ key ~ "::text from " ~ relation
                    ~ " where source_updated_at > '" ~ since ~ "'::timestamptz"
                ).columns[0].values() -%}
                {%- if rebuilt | length == 0 -%}
                    {{- return('false') -}}
                {%- endif -%}
                {{- return(key ~ " in (" ~ hawk_sql_literals(rebuilt) ~ ")") -}}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}

{#-
  The condition selecting the raw rows an incremental build reads (upserted since fct_samples' watermark,
  macros/incremental.sql), or '' (test every row: a full build, or no marts yet). Staging tests run
  before the marts are rebuilt, so the watermark is the one this build starts from. The raw tables'
  own constraints (keys, foreign keys) hold for every row; these tests re-check the rows just imported.
-#}
{% macro hawk_changed_raw_rows(relation) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set marts = adapter.get_relation(database=target.database, schema=target.schema, identifier='fct_samples') -%}
    {%- if marts is none -%}
        {{- return('') -}}
    {%- endif -%}
    {{- return("updated_at > " ~ hawk_resolved_watermark(relation=marts)) -}}
{%- endmacro %}

{#- dbt's get_where_subquery, plus the `__hawk_rebuilt_rows__` and `__hawk_changed_raw_rows__` placeholders. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == '__hawk_rebuilt_rows__' -%}
        {%- set where = hawk_rebuilt_rows(relation) -%}
    {%- elif where == '__hawk_changed_raw_rows__' -%}
        {%- set where = hawk_changed_raw_rows(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}
