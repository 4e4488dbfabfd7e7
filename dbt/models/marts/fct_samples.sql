{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_pk',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['sample_uuid'], 'unique': True},
            {'columns': ['eval_pk']},
            {'columns': ['eval_set_id']},
            {'columns': ['activity_date']},
            {'columns': ['source_updated_at']},
            {'columns': ['model', 'activity_date']},
        ],
        post_hook=[
            "{{ hawk_drop_vanished_evals(hawk_eval_has_samples()) }}",
        ],
    )
}}
-- depends_on: {{ ref('int_eval_models') }} (its row-level security policy reads it: macros/row_access.sql)
-- One row per sample × epoch with its eval's context, outcome, usage, and effective scores: for each
-- scorer the final (non-intermediate) score, which the importer stores with edits applied.
-- Incremental by eval: rebuilds every sample of the evals touched since the last build (see
-- hawk_touched_eval_pks; delete+insert on eval_pk, so samples a re-import dropped leave with their eval's
-- old rows), and per-eval values (primary scorer, superseded flag) stay consistent.

with touched_evals as (
    {{ hawk_touched_eval_pks() }}
),

samples as (
    select s.*
    from {{ ref('stg_sample') }} as s
    where s.eval_pk in (select eval_pk from touched_evals)
),

final_scores as (
    select sc.*
    from {{ ref('fct_scores') }} as sc
    where not sc.is_intermediate and sc.eval_pk in (select eval_pk from touched_evals)
),

-- The eval's primary scorer: the final scorer present on most of its samples, ties by name.
-- (The raw schema does not record the order of the eval's scorers.)
primary_scorers as (
    select distinct on (eval_pk)
        eval_pk,
        scorer as primary_scorer
    from final_scores
    group by eval_pk, scorer
    order by eval_pk, count(*) desc, scorer
),

scores_by_sample as (
    select
        sample_uuid,
        count(*) as scorer_count,
        jsonb_object_agg(scorer, value) as scores,
        jsonb_object_agg(scorer, value_float) as score_floats,
        max(source_updated_at) as scores_updated_at
    from final_scores
    group by sample_uuid
),

models_by_sample as (
    select
        sm.sample_pk,
        array_agg(distinct sm.model order by sm.model) as models_called
    from {{ ref('stg_sample_model') }} as sm
    where sm.sample_pk in (select sample_pk from samples)
    group by sm.sample_pk
)

select
    s.sample_pk,
    s.sample_uuid,
    s.sample_id,
    s.epoch,
    e.eval_pk,
    e.eval_id,
    e.eval_set_id,
    e.task_id,
    e.task_name,
    e.task_version,
    e.model,
    e.created_by,
    e.status as eval_status,
    attempt.is_superseded as eval_is_superseded,
    s.status,
    s.status = 'error' as is_error,
    s.limit_type,
    s.error_message,
    s.is_invalid,
    s.invalidation_timestamp,
    s.invalidation_author,
    s.invalidation_reason,
    s.input_tokens,
    s.output_tokens,
    s.reasoning_tokens,
    s.total_tokens,
    s.input_tokens_cache_read,
    s.input_tokens_cache_write,
    s.model_usage,
    coalesce(m.models_called, array[]::text[]) as models_called,
    s.action_count,
    s.message_count,
    s.started_at,
    s.completed_at,
    s.working_time_seconds,
    s.total_time_seconds,
    s.generation_time_seconds,
    (coalesce(s.completed_at, s.started_at, e.started_at, e.created_at) at time zone 'UTC')::date
        as activity_date,
    coalesce(sbs.scorer_count, 0) as scorer_count,
    coalesce(sbs.scores, '{}'::jsonb) as scores,
    coalesce(sbs.score_floats, '{}'::jsonb) as score_floats,
    ps.primary_scorer,
    primary_score.value as score_value,
    primary_score.value_kind as score_value_kind,
    primary_score.value_float as score_float,
    primary_score.answer as score_answer,
    primary_score.scored_at,
    greatest(
        s.updated_at, s.last_imported_at, e.updated_at, e.last_imported_at, sbs.scores_updated_at
    ) as source_updated_at
from samples as s
inner join {{ ref('stg_eval') }} as e on e.eval_pk = s.eval_pk
inner join {{ ref('int_eval_attempts') }} as attempt on attempt.eval_pk = s.eval_pk
left join primary_scorers as ps on ps.eval_pk = s.eval_pk
left join final_scores as primary_score
    on primary_score.sample_uuid = s.sample_uuid and primary_score.scorer = ps.primary_scorer
left join scores_by_sample as sbs on sbs.sample_uuid = s.sample_uuid
left join models_by_sample as m on m.sample_pk = s.sample_pk
