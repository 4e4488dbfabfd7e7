{#-
  Change detection for the incremental models. Every incremental model keeps `source_updated_at` (the
  latest raw timestamp behind each row) and records, after each successful build, the watermark its next
  build starts from: the build's HORIZON, the earliest timestamp a raw row that this build could not see
  can carry. The raw writers stamp rows with their transaction's time (now() / statement_timestamp(),
  never earlier than the transaction's start), so a row this build missed was written by a transaction
  still open when the dbt invocation started, or begun after: the horizon is the invocation's start, or
  the start of the oldest transaction then open in the database (pg_stat_activity.xact_start), whichever
  is earlier (less a microsecond: the watermark compares `> since`). It is computed once per invocation (on-run-start: hawk_record_invocation_horizon), before
  any model reads, so a mart built from another mart (fct_samples from fct_scores, the daily usage from
  fct_samples) records no later horizon than the marts it read. A long import committing after a build
  is picked up by the next build however long it ran; with nothing new, a build rebuilds nothing.

  When the horizon cannot be known exactly (dbt's role may not see other roles' transactions in
  pg_stat_activity without pg_read_all_stats; a table built by an older version records none), the
  watermark falls back to `hawk_incremental_lookback_minutes` before the invocation's start / the mart's
  newest source row. The raw tables index updated_at / last_imported_at (migration 0006), so finding what
  changed reads only the changed rows, not the warehouse.
-#}

{%- macro hawk_horizon_prefix() -%}hawk_next_since {% endmacro -%}
{%- macro hawk_invocation_prefix() -%}{{ 'hawk_invocation ' ~ invocation_id ~ ' ' }}{%- endmacro -%}

{#- The lookback, as an interval expression. -#}
{% macro hawk_lookback() -%}
    make_interval(mins => {{ var('hawk_incremental_lookback_minutes') | int }})
{%- endmacro %}

{#-
  The horizon, as a scalar SQL expression: this transaction's start, or the start of the oldest transaction
  then open in a session whose login may write the raw tables (an analyst's cannot commit raw rows), less a
  microsecond; `hawk_incremental_lookback_minutes` before this transaction's start when such a session's
  start cannot be seen (dbt's role lacks pg_read_all_stats).
-#}
{% macro hawk_horizon_expression() -%}
    {%- set writers -%}
        select a.state, a.xact_start
        from pg_catalog.pg_stat_activity as a
        where a.datname = current_database() and a.pid <> pg_backend_pid()
          -- NULL for a session this role may not inspect (then its user is still shown)
          and coalesce(a.backend_type, 'client backend') = 'client backend'
          and exists (
              select 1
              from pg_catalog.pg_class as t
              inner join pg_catalog.pg_namespace as n on n.oid = t.relnamespace
              where n.nspname = '{{ source('hawk_raw', 'eval').schema }}' and t.relkind in ('r', 'p')
                and has_table_privilege(a.usesysid, t.oid, 'INSERT, UPDATE, DELETE')
          )
    {%- endset -%}
    (
        select case
            -- a writer's session whose start this role may not read: unknown, so the lookback
            when exists (select 1 from ({{ writers }}) as w where w.state is null)
                then transaction_timestamp() - {{ hawk_lookback() }}
            else least(transaction_timestamp(), (select min(w.xact_start) from ({{ writers }}) as w))
        -- strictly before: a transaction's rows can carry its very start, and changes are `> since`
        end - interval '1 microsecond'
    )
{%- endmacro %}

{#-
  on-run-start: records this invocation's horizon in the comment of the target schema, keyed by the
  invocation id (a concurrent invocation overwriting it only makes its models fall back to the lookback).
  dbt creates the schemas of the selected models before on-run-start; with none selected in the target
  schema there is nothing to record.
-#}
{% macro hawk_record_invocation_horizon() -%}
    {%- if execute -%}
    do $hawk_horizon$ begin
        if to_regnamespace('{{ target.schema }}') is null then
            return;
        end if;
        execute format(
            'comment on schema {{ target.schema }} is %L',
            '{{ hawk_invocation_prefix() }}' || {{ hawk_horizon_expression() }}::text
        );
    end $hawk_horizon$
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- This invocation's horizon (hawk_record_invocation_horizon), or NULL when the schema's comment is
    another invocation's. -#}
{% macro hawk_invocation_horizon() -%}
    select substring(
               obj_description(to_regnamespace('{{ target.schema }}'), 'pg_namespace')
               from '^{{ hawk_invocation_prefix() }}(.+)$'
           )::timestamptz
{%- endmacro %}

{#- The watermark a model's last successful build recorded on its `watermark_column`, or NULL. -#}
{% macro hawk_recorded_since(relation, watermark_column='source_updated_at') -%}
    select substring(
               col_description(a.attrelid, a.attnum) from '^{{ hawk_horizon_prefix() }}(.+)$'
           )::timestamptz
    from pg_catalog.pg_attribute as a
    where a.attrelid = to_regclass('{{ relation }}') and a.attname = '{{ watermark_column }}'
{%- endmacro %}

{#- The incremental model's watermark: one row, column `since`. -#}
{% macro hawk_watermark(watermark_column='source_updated_at', relation=none) -%}
    {%- set relation = relation if relation is not none else this -%}
    select coalesce(
               ({{ hawk_recorded_since(relation, watermark_column) }}),
               max({{ watermark_column }}) - {{ hawk_lookback() }},
               '-infinity'::timestamptz
           ) as since
    from {{ relation }}
{%- endmacro %}

{#-
  Post-hook of the incremental models: records, in the comment of the watermark column, the watermark the
  next build starts from (this invocation's horizon). The comment commits with the build, so a failed
  build leaves the previous record in place; a full refresh records it on the new table.
-#}
{% macro hawk_record_build_start(watermark_column='source_updated_at') -%}
    {%- if execute and model.config.materialized == 'incremental' -%}
    do $hawk_built$ begin
        execute format(
            'comment on column {{ this }}.{{ watermark_column }} is %L',
            '{{ hawk_horizon_prefix() }}' || coalesce(
                ({{ hawk_invocation_horizon() }}),
                transaction_timestamp() - {{ hawk_lookback() }}
            )::text
        );
    end $hawk_built$
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The evals whose eval row, samples or scores were upserted since the watermark (incremental runs only).
  Each branch compares one indexed column with the watermark (an InitPlan, computed once from the model's
  index on its watermark column), so PostgreSQL reads the changed rows through the raw tables' indexes.
-#}
{#-
  The model's watermark as a timestamptz literal, read before the statement that uses it (run_query):
  the planner then estimates `updated_at > <literal>` from the column's statistics and reads the few
  changed rows through their index. Against a subquery it cannot evaluate when planning it assumes a
  third of the table and hashes every sample.
-#}
{% macro hawk_resolved_watermark(watermark_column='source_updated_at', relation=none) -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select w.since::text from (" ~ hawk_watermark(watermark_column, relation) ~ ") as w"
        ) -%}
        {{- "'" ~ found.columns[0].values()[0] ~ "'::timestamptz" -}}
    {%- else -%}
        {{- "'-infinity'::timestamptz" -}}
    {%- endif -%}
{%- endmacro %}

{% macro hawk_changed_eval_pks(watermark_column='source_updated_at') -%}
    {%- set evals = ref('stg_eval') -%}
    {%- set samples = ref('stg_sample') -%}
    {%- set scores = ref('stg_score') -%}
    {%- set since = hawk_resolved_watermark(watermark_column) -%}
    select e.eval_pk from {{ evals }} as e where e.updated_at > {{ since }}
    union
    select e.eval_pk from {{ evals }} as e where e.last_imported_at > {{ since }}
    union
    select s.eval_pk from {{ samples }} as s where s.updated_at > {{ since }}
    union
    select s.eval_pk from {{ samples }} as s where s.last_imported_at > {{ since }}
    union
    select s.eval_pk
    from {{ scores }} as sc
    inner join {{ samples }} as s on s.sample_pk = sc.sample_pk
    where sc.updated_at > {{ since }}
{%- endmacro %}

{#-
  The keys an incremental build rebuilds, resolved BEFORE the model's statement runs (run_query) and
  inlined as constants: hawk_touched_eval_pks() -> `select unnest(<uuid[]>) as eval_pk`,
  hawk_touched_eval_set_ids() -> `select unnest(<text[]>) as eval_set_id`. The planner then knows how
  few they are and reads their rows through the eval_pk / eval_set_id indexes; given the change query
  itself (range scans with a watermark it cannot know when planning) it guessed a third of the warehouse
  and hashed every sample. Rows committed between that query and the model's statement carry a
  timestamp after the invocation's horizon, so the next build takes them. A full build selects every key
  with the query itself.
-#}
{% macro hawk_touched_eval_pks(watermark_column='source_updated_at') -%}
    {{- hawk_resolved_keys(hawk_touched_eval_pks_query(watermark_column), 'eval_pk', 'uuid') -}}
{%- endmacro %}

{% macro hawk_touched_eval_set_ids(watermark_column='source_updated_at') -%}
    {{- hawk_resolved_keys(hawk_touched_eval_set_ids_query(watermark_column), 'eval_set_id', 'text') -}}
{%- endmacro %}

{% macro hawk_resolved_keys(query, column, sql_type) -%}
    {%- if execute and is_incremental() -%}
    select unnest(array[{{ hawk_sql_literals(run_query(query).columns[0].values()) }}]::{{ sql_type }}[]) as {{ column }}
    {%- else -%}
    {{ query }}
    {%- endif -%}
{%- endmacro %}

{#- `values` as a comma-separated list of quoted SQL literals ('' when empty). -#}
{% macro hawk_sql_literals(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{- quoted | join(', ') -}}
{%- endmacro %}

{#-
  hawk_touched_eval_pks_query() selects the changed evals widened to every other attempt of the same task in
  the same eval set, whose `is_superseded` flag may have changed with it. On a full build (first run,
  --full-refresh) it selects every eval.
-#}
{% macro hawk_touched_eval_pks_query(watermark_column='source_updated_at') -%}
    {#- ref() outside the branches, so dbt records the dependencies at parse time. -#}
    {%- set evals = ref('stg_eval') -%}
    {%- set samples = ref('stg_sample') -%}
    {%- set scores = ref('stg_score') -%}
    {%- if is_incremental() -%}
    select distinct attempt.eval_pk
    from ({{ hawk_changed_eval_pks(watermark_column) }}) as changed_evals
    inner join {{ evals }} as changed on changed.eval_pk = changed_evals.eval_pk
    inner join {{ evals }} as attempt
        on attempt.eval_set_id = changed.eval_set_id and attempt.task_id = changed.task_id
    {%- else -%}
    select eval_pk from {{ evals }}
    {%- endif -%}
{%- endmacro %}

{#-
  hawk_touched_eval_set_ids_query() selects the eval sets holding a changed eval: the eval-set-level marts
  (dim_eval_sets, model_task_results) recompute those eval sets whole (delete+insert by eval_set_id).
  On a full build it selects every eval set.
-#}
{% macro hawk_touched_eval_set_ids_query(watermark_column='source_updated_at') -%}
    {%- set evals = ref('stg_eval') -%}
    {%- set samples = ref('stg_sample') -%}
    {%- set scores = ref('stg_score') -%}
    {%- if is_incremental() -%}
    select distinct changed.eval_set_id
    from ({{ hawk_changed_eval_pks(watermark_column) }}) as changed_evals
    inner join {{ evals }} as changed on changed.eval_pk = changed_evals.eval_pk
    {%- else -%}
    select distinct eval_set_id from {{ evals }}
    {%- endif -%}
{%- endmacro %}

{#-
  Post-hook of the marts rebuilt by eval (delete+insert on eval_pk): drops the rows of evals that left
  the warehouse, or that no longer hold any row for this mart (`still_has_rows`: a condition on
  `e.eval_pk`, e.g. the eval still has samples), which an insert of nothing cannot replace.
  The mart's distinct eval_pks are read by a loose index scan on its eval_pk index (one probe per eval),
  never by scanning the mart.
-#}
{% macro hawk_drop_vanished_evals(still_has_rows='true') -%}
    delete from {{ this }} as kept
    where kept.eval_pk in (
        with recursive present(eval_pk) as (
            (select eval_pk from {{ this }} order by eval_pk limit 1)
            union all
            select (
                select t.eval_pk from {{ this }} as t
                where t.eval_pk > present.eval_pk order by t.eval_pk limit 1
            )
            from present
            where present.eval_pk is not null
        )
        select present.eval_pk
        from present
        where present.eval_pk is not null
          and not exists (
              select 1 from {{ ref('stg_eval') }} as e
              where e.eval_pk = present.eval_pk and ({{ still_has_rows }})
          )
    )
{%- endmacro %}

{#- Post-hook of the eval-set marts (delete+insert on eval_set_id): drops the eval sets that left the
    warehouse, which an insert of nothing cannot replace. -#}
{% macro hawk_drop_vanished_eval_sets() -%}
    delete from {{ this }} as kept
    where not exists (select 1 from {{ ref('stg_eval') }} as e where e.eval_set_id = kept.eval_set_id)
{%- endmacro %}

{#- Conditions on `e.eval_pk` for hawk_drop_vanished_evals: the eval still holds rows for the mart. -#}
{% macro hawk_eval_has_samples() -%}
    exists (select 1 from {{ ref('stg_sample') }} as s where s.eval_pk = e.eval_pk)
{%- endmacro %}

{% macro hawk_eval_has_scores() -%}
    exists (
        select 1 from {{ ref('stg_sample') }} as s
        inner join {{ ref('stg_score') }} as sc on sc.sample_pk = s.sample_pk
        where s.eval_pk = e.eval_pk
    )
{%- endmacro %}

{% macro hawk_eval_has_edits() -%}
    exists (
        select 1 from {{ ref('stg_sample') }} as s
        where s.eval_pk = e.eval_pk
          and (
              s.is_invalid
              or exists (
                  select 1 from {{ ref('stg_score') }} as sc
                  where sc.sample_pk = s.sample_pk and {{ hawk_score_has_edits('sc') }}
              )
          )
    )
{%- endmacro %}

{#- A final score whose history holds an entry with provenance (an edit). The same text as the partial
    index score__edited_sample_pk_idx (migration 0006), so the planner reads edited scores through it. -#}
{% macro hawk_score_has_edits(score) -%}
    not {{ score }}.is_intermediate
    and jsonb_typeof({{ score }}.history) = 'array'
    and {{ score }}.history @? '$[*].provenance ? (@.type() == "object")'
{%- endmacro %}

{#-
  delete+insert (dbt-postgres' default incremental strategy, used by every incremental model here), with
  the staged rows analyzed first: dbt's delete reads `where key in (select distinct key from <temp
  table>)`, and a temp table has no statistics, so the planner guessed many keys and scanned the whole
  mart to delete one eval's rows. With the temp table's real key count it deletes through the key index.
-#}
{% macro postgres__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    analyze {{ source }};
    {{ default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) }}
{%- endmacro %}

{#-
  Post-hook of the marts and intermediate tables: a table dbt has just (re)built whole (a full refresh, a
  first build, a `table` model) gets its planner statistics now, not whenever autovacuum comes by: the
  next incremental build's change queries and its scoped data tests (macros/test_scope.sql) select a few
  keys of it, and without statistics PostgreSQL plans them as a scan of the whole mart.
-#}
{% macro hawk_analyze_new_table() -%}
    {%- if execute and model.config.materialized in ('table', 'incremental') and not is_incremental() -%}
    analyze {{ this }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
