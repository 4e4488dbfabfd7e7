{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_set_id',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['eval_set_id', 'task_name', 'model'], 'unique': True},
            {'columns': ['model', 'task_name']},
            {'columns': ['source_updated_at']},
        ],
        post_hook=[
            "{{ hawk_drop_vanished_eval_sets() }}",
        ],
    )
}}
-- The leaderboard: one row per eval set × task × model over the current attempts (superseded attempts
-- left out), valid samples only (invalidated samples are counted apart).
-- Scores are each sample's primary-scorer float (see fct_samples). Like Inspect's default epoch
-- reducer, epochs of a sample are averaged first; mean_score and stderr_score are the mean and the
-- standard error (sample standard deviation / sqrt(n), NULL below 2 values) over those sample means.
-- Incremental by eval set: the eval sets holding an eval changed since the last build
-- (hawk_touched_eval_set_ids) are recomputed whole (delete+insert on eval_set_id), reading their samples
-- through fct_samples' eval_pk index.

with touched_eval_sets as (
    {{ hawk_touched_eval_set_ids() }}
),

current_evals as (
    select eval_pk, eval_set_id, task_name, model, primary_scorer, source_updated_at
    from {{ ref('dim_evals') }}
    where not is_superseded and eval_set_id in (select eval_set_id from touched_eval_sets)
),

samples as (
    select s.*
    from {{ ref('fct_samples') }} as s
    inner join current_evals as e on e.eval_pk = s.eval_pk
),

sample_means as (
    select
        eval_set_id,
        task_name,
        model,
        avg(score_float) as score
    from samples
    where not is_invalid
    group by eval_set_id, task_name, model, eval_pk, sample_id
),

score_stats as (
    select
        eval_set_id,
        task_name,
        model,
        count(score) as score_n,
        avg(score) as mean_score,
        case when count(score) > 1 then stddev_samp(score) / sqrt(count(score)) end as stderr_score
    from sample_means
    group by eval_set_id, task_name, model
),

sample_stats as (
    select
        eval_set_id,
        task_name,
        model,
        count(*) filter (where not is_invalid) as samples,
        count(*) filter (where not is_invalid and score_float is not null) as samples_scored,
        count(*) filter (where not is_invalid and is_error) as samples_errored,
        count(*) filter (where is_invalid) as samples_invalid,
        sum(input_tokens) filter (where not is_invalid) as input_tokens,
        sum(output_tokens) filter (where not is_invalid) as output_tokens,
        sum(total_tokens) filter (where not is_invalid) as total_tokens
    from samples
    group by eval_set_id, task_name, model
),

groups as (
    select
        eval_set_id,
        task_name,
        model,
        count(*) as evals,
        array_agg(distinct primary_scorer order by primary_scorer)
            filter (where primary_scorer is not null) as primary_scorers,
        max(source_updated_at) as source_updated_at
    from current_evals
    group by eval_set_id, task_name, model
)

select
    g.eval_set_id,
    g.task_name,
    g.model,
    g.evals,
    coalesce(g.primary_scorers, array[]::text[]) as primary_scorers,
    coalesce(ss.samples, 0) as samples,
    coalesce(ss.samples_scored, 0) as samples_scored,
    coalesce(ss.samples_errored, 0) as samples_errored,
    coalesce(ss.samples_invalid, 0) as samples_invalid,
    coalesce(st.score_n, 0) as score_n,
    st.mean_score,
    st.stderr_score,
    ss.samples_errored::double precision / nullif(ss.samples, 0) as error_rate,
    coalesce(ss.input_tokens, 0)::bigint as input_tokens,
    coalesce(ss.output_tokens, 0)::bigint as output_tokens,
    coalesce(ss.total_tokens, 0)::bigint as total_tokens,
    ss.total_tokens::double precision / nullif(ss.samples, 0) as mean_total_tokens,
    g.source_updated_at
from groups as g
left join sample_stats as ss using (eval_set_id, task_name, model)
left join score_stats as st using (eval_set_id, task_name, model)
