-- One row per edit of a final score: each entry of the score's history (Inspect's `Score.history`)
-- that carries provenance, with the score's value before and after it. When an existing score was
-- edited, the history starts with the original score (no provenance); a score added by an edit starts
-- with that edit (no value before it). An entry whose value is "UNCHANGED" (an edit of the explanation
-- only, say) keeps the value before it, so its old and new values are equal.

with entries as (
    select
        sc.score_pk,
        sc.sample_pk,
        sc.scorer,
        sc.updated_at,
        h.entry,
        h.position::integer as history_position,
        coalesce(h.entry -> 'value', '"UNCHANGED"'::jsonb) <> '"UNCHANGED"'::jsonb as sets_value
    from {{ ref('stg_score') }} as sc
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(sc.history) = 'array' then sc.history else '[]'::jsonb end
    ) with ordinality as h (entry, position)
    -- only final scores with an edit (the partial index score__edited_sample_pk_idx holds exactly these)
    where {{ hawk_score_has_edits('sc') }}
),

-- entries grouped with the latest entry at or before them that set a value
value_runs as (
    select
        *,
        count(*) filter (where sets_value) over (
            partition by score_pk order by history_position
        ) as value_run
    from entries
),

valued as (
    select
        *,
        first_value(case when sets_value then entry -> 'value' end) over (
            partition by score_pk, value_run order by history_position
        ) as value_after
    from value_runs
),

with_previous as (
    select
        *,
        lag(value_after) over (partition by score_pk order by history_position) as value_before
    from valued
)

select
    score_pk,
    sample_pk,
    scorer,
    history_position,
    value_before as old_value,
    value_after as new_value,
    nullif(entry ->> 'explanation', 'UNCHANGED') as new_explanation,
    entry -> 'provenance' ->> 'author' as author,
    entry -> 'provenance' ->> 'reason' as reason,
    (entry -> 'provenance' ->> 'timestamp')::timestamptz as edited_at,
    updated_at
from with_previous
where jsonb_typeof(entry -> 'provenance') = 'object'
