{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='scanner_result_uuid',
        on_schema_change='sync_all_columns',
        indexes=[
            {'columns': ['scanner_result_uuid'], 'unique': True},
            {'columns': ['sample_uuid', 'scanner_name']},
        ],
        post_hook=[
            "delete from {{ this }} as kept where not exists (
                select 1 from {{ ref('stg_scanner_result') }} as r
                where r.scanner_result_uuid = kept.scanner_result_uuid
            )",
        ],
    )
}}
-- One row per Scout scanner result (scan × transcript × scanner × label), with the scan's context and,
-- when the transcript is a sample of an imported eval log, that sample and its eval.
-- Incremental: results of scans imported (or results upserted) since the watermark (macros/incremental.sql).

{% if is_incremental() %}
with touched_scans as (
    select sc.scan_pk
    from {{ ref('stg_scan') }} as sc
    where greatest(sc.updated_at, sc.last_imported_at) > {{ hawk_resolved_watermark() }}
    union
    select r.scan_pk
    from {{ ref('stg_scanner_result') }} as r
    where greatest(r.updated_at, r.last_imported_at) > {{ hawk_resolved_watermark() }}
),
{% else %}
with
{% endif %}

results as (
    select r.*
    from {{ ref('stg_scanner_result') }} as r
    {% if is_incremental() %}
    where r.scan_pk in (select scan_pk from touched_scans)
    {% endif %}
)

select
    r.scanner_result_pk,
    r.scanner_result_uuid,
    sc.scan_pk,
    sc.scan_id,
    sc.scan_name,
    sc.scan_run_id,
    sc.scan_timestamp,
    r.scanner_key,
    r.scanner_name,
    r.scanner_version,
    r.transcript_id,
    r.transcript_source_type,
    r.transcript_source_id,
    s.sample_pk,
    s.sample_uuid,
    e.eval_pk,
    e.eval_id,
    e.eval_set_id,
    e.task_name,
    e.model,
    r.label,
    r.value,
    r.value_type,
    r.value_float,
    r.scan_error is null and case jsonb_typeof(r.value)
        when 'boolean' then r.value = 'true'::jsonb
        when 'number' then (r.value)::numeric <> 0
        when 'string' then (r.value #>> '{}') <> ''
        when 'array' then r.value <> '[]'::jsonb
        when 'object' then r.value <> '{}'::jsonb
        else false
    end as is_positive,
    r.answer,
    r.explanation,
    r.scan_error is not null as is_error,
    r.scan_error,
    r.scan_error_type,
    r.scan_total_tokens,
    r.result_timestamp,
    greatest(r.updated_at, r.last_imported_at, sc.updated_at, sc.last_imported_at) as source_updated_at
from results as r
inner join {{ ref('stg_scan') }} as sc on sc.scan_pk = r.scan_pk
left join {{ ref('stg_sample') }} as s on s.sample_pk = r.sample_pk
left join {{ ref('stg_eval') }} as e on e.eval_pk = s.eval_pk
