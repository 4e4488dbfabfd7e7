{{ config(severity='warn') }}
-- Data quality: a sample cannot complete before it started. A failure points at a log with skewed
-- event timestamps; it warns (the marts still build) and lists the offending samples.
-- An incremental build checks the samples it rebuilt (macros/test_scope.sql), a full build every one.
{%- set rebuilt = hawk_rebuilt_rows(ref('fct_samples')) %}
select sample_uuid, eval_id, started_at, completed_at
from {{ ref('fct_samples') }}
where completed_at < started_at
{%- if rebuilt %} and {{ rebuilt }}{% endif %}
