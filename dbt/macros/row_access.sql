{#-
  Row-level security on the marts: analysts see only the rows of the models their roles' model groups
  cover, as in the raw tables (migration 0003_model_groups_rls).

  Marts stay tables (built by the raw tables' owner, which bypasses RLS) and each gets a policy:
  - row-level marts follow the raw row they come from: a row is visible when its eval (fct_samples,
    fct_scores, dim_evals) or its scan (fct_scanner_results) is visible to the caller in hawk_raw, so
    the raw policies stay the one rule;
  - aggregate marts (dim_eval_sets, model_task_results, model_usage_daily) are visible when the caller
    may use every model the row names (hawk_raw.user_has_model_access);
  - views run as the caller (security_invoker), so they read through the marts' and raw policies.
  Members of rls_bypass see everything; rls_reader and rls_bypass get SELECT (dbt `grants`) and, once
  per run, USAGE on the marts' schema (hawk_grant_marts_schema: per model, concurrent GRANTs on one
  schema collide).
-#}
{% macro hawk_row_access() -%}
    {%- set raw_eval = source('hawk_raw', 'eval') -%}
    {%- set raw_scan = source('hawk_raw', 'scan') -%}
    {%- set has_access = raw_eval.schema ~ '.user_has_model_access' -%}
    {%- set rules = {
        'fct_samples': 'exists (select 1 from ' ~ raw_eval ~ ' as e where e.pk = eval_pk)',
        'fct_scores': 'exists (select 1 from ' ~ raw_eval ~ ' as e where e.pk = eval_pk)',
        'dim_evals': 'exists (select 1 from ' ~ raw_eval ~ ' as e where e.pk = eval_pk)',
        'fct_scanner_results': 'exists (select 1 from ' ~ raw_scan ~ ' as s where s.pk = scan_pk)',
        'dim_eval_sets': has_access ~ '(current_user, models)',
        'model_task_results': has_access ~ '(current_user, array[model])',
        'model_usage_daily': has_access ~ '(current_user, array[model])',
    } -%}
    {% if model.config.materialized == 'view' -%}
    alter view {{ this }} set (security_invoker = true);
    {%- elif model.name in rules -%}
    alter table {{ this }} enable row level security;
    drop policy if exists hawk_model_access on {{ this }};
    create policy hawk_model_access on {{ this }} for select using ({{ rules[model.name] }});
    drop policy if exists hawk_rls_bypass on {{ this }};
    create policy hawk_rls_bypass on {{ this }} for all to rls_bypass using (true) with check (true);
    {%- else -%}
    {{ exceptions.raise_compiler_error('mart ' ~ model.name ~ ' has no row-access rule in hawk_row_access') }}
    {%- endif %}
{%- endmacro %}

{#- Views outside the marts (staging, intermediate) also read as their caller, never as their owner. -#}
{% macro hawk_invoker_view() -%}
    alter view {{ this }} set (security_invoker = true)
{%- endmacro %}

{#- on-run-end: USAGE on the marts' schema for the roles that read it, when a build has made it. -#}
{% macro hawk_grant_marts_schema() -%}
    do $$
    begin
        if exists (select 1 from pg_namespace where nspname = '{{ target.schema }}') then
            grant usage on schema {{ adapter.quote(target.schema) }} to rls_reader, rls_bypass;
        end if;
    end
    $$
{%- endmacro %}
