{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='eval_pk',
        on_schema_change='sync_all_columns',
        indexes=[{'columns': ['eval_pk'], 'unique': True}],
        grants={'select': ['rls_reader', 'rls_bypass']},
        post_hook=[
            "delete from {{ this }} as kept where not exists (
                select 1 from {{ ref('stg_eval') }} as e where e.eval_pk = kept.eval_pk
            )",
            "{{ hawk_row_access() }}",
        ],
    )
}}
-- Every model an eval involves (its model, its role models, the models its samples called), as
-- hawk_raw.get_eval_models lists them, computed once per build: the marts' row-level security checks the
-- caller's model groups against this list once per eval instead of re-reading every sample's models at
-- every query (macros/row_access.sql). Incremental: the evals touched since the last build.

with touched_evals as (
    {{ hawk_touched_eval_pks() }}
),

models as (
    select e.eval_pk, e.model
    from {{ ref('stg_eval') }} as e
    where e.eval_pk in (select eval_pk from touched_evals)
    union
    select r.eval_pk, r.model
    from {{ ref('stg_model_role') }} as r
    where r.eval_pk in (select eval_pk from touched_evals)
    union
    select s.eval_pk, sm.model
    from {{ ref('stg_sample') }} as s
    inner join {{ ref('stg_sample_model') }} as sm on sm.sample_pk = s.sample_pk
    where s.eval_pk in (select eval_pk from touched_evals)
)

select
    eval_pk,
    array_agg(model order by model) as models,
    now() as source_updated_at
from models
group by eval_pk
