{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='usage_date',
        on_schema_change='sync_all_columns',
        indexes=[{'columns': ['usage_date', 'model'], 'unique': True}],
        post_hook=[
            "delete from {{ this }} as kept where not exists (
                select 1 from {{ ref('fct_samples') }} as s where s.activity_date = kept.usage_date
            )",
        ],
    )
}}
-- Tokens per model per UTC day (the day a sample completed, else started), from each sample's
-- per-model usage, so judge and helper models count too; a sample without per-model usage counts its
-- token totals against the eval's model. Every attempt counts, superseded ones included: the tokens were
-- spent. Incremental: days holding a sample updated since the last build are recomputed whole, and so
-- are days whose sample count changed (`day_samples`): a sample deleted by a re-import (its log was
-- rewritten without it) leaves no updated row behind, only a smaller count on its day.

{# a table built before `day_samples` existed has every day recomputed once #}
{% set built_columns = adapter.get_columns_in_relation(this) if execute and is_incremental() else [] %}
{% set has_day_samples = 'day_samples' in (built_columns | map(attribute='name') | map('lower') | list) %}

{% if is_incremental() %}
{% set touched_days_query %}
    select distinct s.activity_date
    from {{ ref('fct_samples') }} as s
    where s.source_updated_at > {{ hawk_resolved_watermark() }}
    union
    {% if has_day_samples %}
    select d.usage_date
    from (select distinct usage_date, day_samples from {{ this }}) as d
    left join (
        select activity_date, count(*) as samples from {{ ref('fct_samples') }} group by activity_date
    ) as current_days on current_days.activity_date = d.usage_date
    where current_days.samples is distinct from d.day_samples
    {% else %}
    select distinct activity_date from {{ ref('fct_samples') }}
    {% endif %}
{% endset %}
{% endif %}

with
{% if is_incremental() %}
-- resolved before this statement (macros/incremental.sql), so the days' samples are read by their index
touched_days as (
    {{ hawk_resolved_keys(touched_days_query, 'activity_date', 'date') }}
),
{% endif %}

samples as (
    select *
    from {{ ref('fct_samples') }}
    {% if is_incremental() %}
    where activity_date in (select activity_date from touched_days)
    {% endif %}
),

day_counts as (
    select activity_date, count(*) as day_samples from samples group by activity_date
),

usage_by_model as (
    select
        s.activity_date,
        s.eval_pk,
        s.eval_set_id,
        s.sample_uuid,
        s.source_updated_at,
        u.key as model,
        (u.value ->> 'input_tokens')::numeric as input_tokens,
        (u.value ->> 'output_tokens')::numeric as output_tokens,
        (u.value ->> 'reasoning_tokens')::numeric as reasoning_tokens,
        (u.value ->> 'total_tokens')::numeric as total_tokens,
        (u.value ->> 'input_tokens_cache_read')::numeric as input_tokens_cache_read,
        (u.value ->> 'input_tokens_cache_write')::numeric as input_tokens_cache_write
    from samples as s
    cross join lateral jsonb_each(
        case when jsonb_typeof(s.model_usage) = 'object' then s.model_usage else '{}'::jsonb end
    ) as u
    where jsonb_typeof(u.value) = 'object'

    union all

    select
        activity_date,
        eval_pk,
        eval_set_id,
        sample_uuid,
        source_updated_at,
        model,
        input_tokens,
        output_tokens,
        reasoning_tokens,
        total_tokens,
        input_tokens_cache_read,
        input_tokens_cache_write
    from samples
    where model_usage is null or jsonb_typeof(model_usage) <> 'object' or model_usage = '{}'::jsonb
)

select
    u.activity_date as usage_date,
    u.model,
    count(distinct sample_uuid) as samples,
    count(distinct eval_pk) as evals,
    count(distinct eval_set_id) as eval_sets,
    coalesce(sum(input_tokens), 0)::bigint as input_tokens,
    coalesce(sum(output_tokens), 0)::bigint as output_tokens,
    coalesce(sum(reasoning_tokens), 0)::bigint as reasoning_tokens,
    coalesce(sum(total_tokens), 0)::bigint as total_tokens,
    coalesce(sum(input_tokens_cache_read), 0)::bigint as input_tokens_cache_read,
    coalesce(sum(input_tokens_cache_write), 0)::bigint as input_tokens_cache_write,
    max(u.source_updated_at) as source_updated_at,
    max(dc.day_samples) as day_samples
from usage_by_model as u
inner join day_counts as dc on dc.activity_date = u.activity_date
group by u.activity_date, u.model
