{{ config(meta={'dagster': {'ref': {'name': 'fct_samples'}}}) }}
-- Business rule: a sample's effective score (fct_samples.score_value, for the eval's primary scorer)
-- is the latest non-intermediate raw score of that scorer; a sample whose eval has a primary scorer but
-- which has no final score of it has no effective score. Fails with one row per sample that disagrees.
-- An incremental build checks the samples it rebuilt (macros/test_scope.sql), a full build every one.
{%- set rebuilt = hawk_rebuilt_rows(ref('fct_samples')) %}
with samples as (
    select * from {{ ref('fct_samples') }}
    {%- if rebuilt %} where {{ rebuilt }}{% endif %}
),

latest_final as (
    select distinct on (s.sample_uuid, sc.scorer)
        s.sample_uuid,
        sc.scorer,
        sc.value
    from {{ ref('stg_score') }} as sc
    inner join {{ ref('stg_sample') }} as s on s.sample_pk = sc.sample_pk
    where not sc.is_intermediate
    {%- if rebuilt %} and s.sample_uuid in (select sample_uuid from samples){% endif %}
    order by s.sample_uuid, sc.scorer, sc.scored_at desc nulls last, sc.updated_at desc
)

select
    f.sample_uuid,
    f.primary_scorer,
    f.score_value,
    lf.value as latest_final_value
from samples as f
left join latest_final as lf
    on lf.sample_uuid = f.sample_uuid and lf.scorer = f.primary_scorer
where f.primary_scorer is not null
  and f.score_value is distinct from lf.value
