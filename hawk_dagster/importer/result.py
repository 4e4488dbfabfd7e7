"""What importing one eval log did (returned for every file, whatever happened)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hawk_dagster.warehouse.schema import EVAL_TABLES

ImportOutcome = Literal["imported", "skipped", "failed"]
ROW_TABLES = EVAL_TABLES


def empty_row_counts() -> dict[str, int]:
    return dict.fromkeys(ROW_TABLES, 0)


class EvalImportResult(BaseModel):
    key: str = Field(description="The log's key under the store root.")
    location: str = Field(description="The log's URI (local path or s3://...), as stored in eval.location.")
    eval_id: str | None = Field(default=None, description="Inspect's eval id, once the header was read.")
    eval_set_id: str | None = Field(default=None, description="The eval set the log was filed under.")
    outcome: ImportOutcome
    reason: str | None = Field(default=None, description="Why it was skipped or failed (one line).")
    rows: dict[str, int] = Field(
        default_factory=empty_row_counts,
        description="Rows written (inserted or updated) per hawk_raw table; zeros when nothing was written.",
    )
    bytes_read: int = Field(default=0, description="Bytes read from the log store.")
    duration_seconds: float = 0.0
    header_samples: int | None = Field(
        default=None,
        description="Samples the log holds (its summaries, else results.total_samples); None for a "
        "`started` log (no final header to check against) or when the header was not read.",
    )
    header_scores: int | None = Field(
        default=None,
        description="(sample, scorer) final scores in the log's summaries; None like header_samples.",
    )
    log_status: str | None = Field(
        default=None, description="The log's status: started/success/cancelled/error."
    )
    samples_skipped: int = Field(
        default=0, description="Samples left linked to a newer eval (sample relinking rule), not written."
    )
    samples_removed: int = Field(
        default=0,
        description="Samples of the eval that an earlier import wrote and this file no longer holds: deleted.",
    )
    attempts: int = Field(
        default=0, description="Transactions tried (deadlocks and serialization failures retry)."
    )
