{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_pk',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['eval_pk'], 'unique': True},
            {'columns': ['eval_set_id']},
            {'columns': ['source_updated_at']},
        ],
        post_hook=[
            "delete from {{ this }} as kept where not exists (
                select 1 from {{ ref('stg_eval') }} as e where e.eval_pk = kept.eval_pk
            )",
        ],
    )
}}
-- One row per eval log (attempt of a task × model in an eval set) with its sample counts and activity.
-- Superseded attempts (crash remnants, earlier failed attempts) are kept and flagged; eval-set and
-- leaderboard marts leave them out.
-- Incremental by eval: the evals touched since the last build (hawk_touched_eval_pks, every attempt of a
-- touched task) are recomputed from their samples in fct_samples (read through its eval_pk index).

with touched_evals as (
    {{ hawk_touched_eval_pks() }}
),

sample_counts as (
    select
        eval_pk,
        count(*) as samples_total,
        count(*) filter (where not is_error) as samples_completed,
        count(*) filter (where is_error) as samples_errored,
        count(*) filter (where limit_type is not null) as samples_limited,
        count(*) filter (where is_invalid) as samples_invalid,
        count(*) filter (where score_float is not null) as samples_scored,
        avg(score_float) as mean_score,
        max(primary_scorer) as primary_scorer,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(total_tokens)::bigint as total_tokens,
        min(started_at) as first_sample_started_at,
        max(completed_at) as last_sample_completed_at,
        max(source_updated_at) as samples_updated_at
    from {{ ref('fct_samples') }}
    where eval_pk in (select eval_pk from touched_evals)
    group by eval_pk
)

select
    e.eval_pk,
    e.eval_id,
    e.eval_set_id,
    e.task_id,
    e.task_name,
    e.task_version,
    e.task_args,
    e.model,
    e.agent,
    e.created_by,
    e.status,
    e.import_status,
    e.error_message,
    e.epochs,
    e.header_total_samples,
    e.header_completed_samples,
    a.is_superseded,
    a.superseded_by_eval_id,
    a.task_attempts,
    sc.primary_scorer,
    coalesce(sc.samples_total, 0) as samples_total,
    coalesce(sc.samples_completed, 0) as samples_completed,
    coalesce(sc.samples_errored, 0) as samples_errored,
    coalesce(sc.samples_limited, 0) as samples_limited,
    coalesce(sc.samples_invalid, 0) as samples_invalid,
    coalesce(sc.samples_scored, 0) as samples_scored,
    sc.mean_score,
    coalesce(sc.input_tokens, 0) as input_tokens,
    coalesce(sc.output_tokens, 0) as output_tokens,
    coalesce(sc.total_tokens, 0) as total_tokens,
    e.created_at,
    e.started_at,
    e.completed_at,
    least(e.created_at, e.started_at, sc.first_sample_started_at) as first_activity_at,
    greatest(e.started_at, e.completed_at, sc.last_sample_completed_at) as last_activity_at,
    e.location,
    e.file_last_modified,
    e.last_imported_at,
    greatest(e.updated_at, e.last_imported_at, sc.samples_updated_at) as source_updated_at
from {{ ref('stg_eval') }} as e
inner join {{ ref('int_eval_attempts') }} as a on a.eval_pk = e.eval_pk
left join sample_counts as sc on sc.eval_pk = e.eval_pk
where e.eval_pk in (select eval_pk from touched_evals)
