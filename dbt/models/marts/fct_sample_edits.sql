{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_pk',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['sample_edit_key'], 'unique': True},
            {'columns': ['sample_uuid']},
            {'columns': ['eval_set_id']},
            {'columns': ['eval_pk']},
            {'columns': ['source_updated_at']},
        ],
        post_hook=[
            "{{ hawk_drop_vanished_evals(hawk_eval_has_edits()) }}",
        ],
    )
}}
-- depends_on: {{ ref('int_eval_models') }} (its row-level security policy reads it: macros/row_access.sql)
-- Who changed what and why: one row per score edit (each entry of a final score's history with
-- provenance, int_score_edits) and one per invalidated sample (the sample's current invalidation).
-- Both come from the logs as the sample-edit job rewrote them: an uninvalidated sample carries no
-- invalidation any more, so its row leaves the mart. Incremental by eval: the edits of evals touched since
-- the last build (hawk_touched_eval_pks; delete+insert on eval_pk); the post-hook drops the rows of evals
-- that left the warehouse or hold no edit any more.

with touched_evals as (
    {{ hawk_touched_eval_pks() }}
),

samples as (
    select s.*
    from {{ ref('stg_sample') }} as s
    where s.eval_pk in (select eval_pk from touched_evals)
),

score_edits as (
    select
        s.sample_uuid || '/score_edit/' || ie.scorer || '/' || ie.history_position as sample_edit_key,
        'score_edit' as edit_kind,
        s.sample_pk,
        ie.scorer,
        ie.history_position,
        ie.old_value,
        ie.new_value,
        ie.new_explanation,
        ie.author,
        ie.reason,
        ie.edited_at,
        ie.updated_at as edit_updated_at
    from {{ ref('int_score_edits') }} as ie
    inner join samples as s on s.sample_pk = ie.sample_pk
),

invalidations as (
    select
        s.sample_uuid || '/invalidate_sample' as sample_edit_key,
        'invalidate_sample' as edit_kind,
        s.sample_pk,
        null::text as scorer,
        null::integer as history_position,
        null::jsonb as old_value,
        null::jsonb as new_value,
        null::text as new_explanation,
        s.invalidation_author as author,
        s.invalidation_reason as reason,
        s.invalidation_timestamp as edited_at,
        null::timestamptz as edit_updated_at
    from samples as s
    where s.is_invalid
),

edits as (
    select * from score_edits
    union all
    select * from invalidations
)

select
    ed.sample_edit_key,
    ed.edit_kind,
    s.sample_pk,
    s.sample_uuid,
    s.sample_id,
    s.epoch,
    e.eval_pk,
    e.eval_id,
    e.eval_set_id,
    e.task_name,
    e.model,
    ed.scorer,
    ed.history_position,
    ed.old_value,
    ed.new_value,
    {{ score_value_to_float('ed.old_value', 'null::double precision') }} as old_value_float,
    {{ score_value_to_float('ed.new_value', 'null::double precision') }} as new_value_float,
    ed.new_explanation,
    ed.author,
    ed.reason,
    ed.edited_at,
    greatest(s.updated_at, s.last_imported_at, e.updated_at, e.last_imported_at, ed.edit_updated_at)
        as source_updated_at
from edits as ed
inner join samples as s on s.sample_pk = ed.sample_pk
inner join {{ ref('stg_eval') }} as e on e.eval_pk = s.eval_pk
