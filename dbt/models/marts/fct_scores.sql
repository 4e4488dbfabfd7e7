{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_pk',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['sample_uuid', 'scorer'], 'unique': True},
            {'columns': ['eval_pk']},
            {'columns': ['source_updated_at']},
        ],
        post_hook=[
            "{{ hawk_drop_vanished_evals(hawk_eval_has_scores()) }}",
        ],
    )
}}
-- depends_on: {{ ref('int_eval_models') }} (its row-level security policy reads it: macros/row_access.sql)
-- One row per sample × scorer, final and intermediate, with the value read as Inspect reads it.
-- Incremental by eval: rebuilds the scores of evals touched since the last build (see
-- hawk_touched_eval_pks; delete+insert on eval_pk, so scores a re-import dropped leave with the eval's old
-- rows); the post-hook drops the rows of evals that left the warehouse or hold no score any more.

with touched_evals as (
    {{ hawk_touched_eval_pks() }}
)

select
    sc.score_pk,
    s.sample_pk,
    s.sample_uuid,
    s.sample_id,
    s.epoch,
    e.eval_pk,
    e.eval_id,
    e.eval_set_id,
    e.task_name,
    e.model,
    sc.scorer,
    sc.is_intermediate,
    sc.value,
    {{ score_value_kind('sc.value', 'sc.raw_value_float') }} as value_kind,
    {{ score_value_to_float('sc.value', 'sc.raw_value_float') }} as value_float,
    sc.answer,
    sc.explanation,
    sc.scored_at,
    sc.meta,
    greatest(sc.updated_at, s.updated_at, s.last_imported_at, e.updated_at, e.last_imported_at)
        as source_updated_at
from {{ ref('stg_score') }} as sc
inner join {{ ref('stg_sample') }} as s on s.sample_pk = sc.sample_pk
inner join {{ ref('stg_eval') }} as e on e.eval_pk = s.eval_pk
where s.eval_pk in (select eval_pk from touched_evals)
