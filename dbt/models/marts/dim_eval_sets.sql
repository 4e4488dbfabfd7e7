{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_set_id',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['eval_set_id'], 'unique': True},
            {'columns': ['source_updated_at']},
        ],
        post_hook=[
            "{{ hawk_drop_vanished_eval_sets() }}",
        ],
    )
}}
-- One row per eval set: its tasks, models, owner, status, sample counts and activity. Counts cover the
-- current attempt of each task only, so a crash remnant next to its finished retry does not count twice.
-- Incremental by eval set: the eval sets holding an eval changed since the last build
-- (hawk_touched_eval_set_ids) are recomputed whole from dim_evals.

with touched_eval_sets as (
    {{ hawk_touched_eval_set_ids() }}
),

evals as (
    select * from {{ ref('dim_evals') }}
    where eval_set_id in (select eval_set_id from touched_eval_sets)
)

select
    eval_set_id,
    array_agg(distinct task_name order by task_name) as tasks,
    array_agg(distinct model order by model) as models,
    max(created_by) as created_by,
    case
        when bool_or(status = 'started') filter (where not is_superseded) then 'started'
        when bool_or(status = 'error') filter (where not is_superseded) then 'error'
        when bool_or(status = 'cancelled') filter (where not is_superseded) then 'cancelled'
        else 'success'
    end as status,
    count(*) filter (where not is_superseded) as evals,
    count(*) filter (where is_superseded) as evals_superseded,
    count(*) filter (where not is_superseded and status = 'started') as evals_started,
    count(*) filter (where not is_superseded and status = 'success') as evals_success,
    count(*) filter (where not is_superseded and status = 'error') as evals_error,
    count(*) filter (where not is_superseded and status = 'cancelled') as evals_cancelled,
    coalesce(sum(samples_total) filter (where not is_superseded), 0)::bigint as samples_total,
    coalesce(sum(samples_completed) filter (where not is_superseded), 0)::bigint as samples_completed,
    coalesce(sum(samples_errored) filter (where not is_superseded), 0)::bigint as samples_errored,
    coalesce(sum(samples_invalid) filter (where not is_superseded), 0)::bigint as samples_invalid,
    coalesce(sum(total_tokens), 0)::bigint as total_tokens,
    sum(mean_score * samples_scored) filter (where not is_superseded and samples_scored > 0)
        / nullif(sum(samples_scored) filter (where not is_superseded), 0) as mean_score,
    min(first_activity_at) as first_activity_at,
    max(last_activity_at) as last_activity_at,
    max(last_imported_at) as last_imported_at,
    max(source_updated_at) as source_updated_at
from evals
group by eval_set_id
