"""The eval-log importer: Inspect `.eval` logs -> hawk_raw (eval, sample, score, message, sample_model,
model_role), following Hawk's import rules.

    from hawk_dagster.importer import import_eval_logs
    results = import_eval_logs(database_url, LogStore.from_root(root), ["evals/<id>/<file>.eval"])

Each file: one transaction, samples streamed one at a time (memory stays at about one sample plus a
batch of rows), parsing overlapped with the database's merging; never raises for a bad file or an
unreachable database: the EvalImportResult says `failed` and why.
"""

from hawk_dagster.importer.eval_import import describe_error, import_eval_log, import_eval_logs
from hawk_dagster.importer.live_evals import LIVE_EVAL_CONDITION, SUPERSEDED_EVAL_CONDITION
from hawk_dagster.importer.result import ROW_TABLES, EvalImportResult, ImportOutcome

__all__ = [
    "LIVE_EVAL_CONDITION",
    "ROW_TABLES",
    "SUPERSEDED_EVAL_CONDITION",
    "EvalImportResult",
    "ImportOutcome",
    "describe_error",
    "import_eval_log",
    "import_eval_logs",
]
