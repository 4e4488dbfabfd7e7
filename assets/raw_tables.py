"""What the two import assets share: the `hawk_raw/<table>` asset keys and their specs."""

from collections.abc import Sequence

import dagster as dg

from hawk_dagster.jobs.log_store_assets import PARTITIONS, log_store_key
from hawk_dagster.warehouse.schema import RAW_SCHEMA


def raw_key(table: str) -> dg.AssetKey:
    """`hawk_raw/<table>`: also the dbt source key of the table (see assets/dbt.py)."""
    return dg.AssetKey([RAW_SCHEMA, table])


def raw_table_specs(tables: Sequence[str], log_prefix: str, source: str) -> list[dg.AssetSpec]:
    """One asset spec per raw table an import writes, partitioned like its log-store folders and
    downstream of them (`log_store/<log_prefix>`, partition to partition)."""
    return [
        dg.AssetSpec(
            raw_key(table),
            partitions_def=PARTITIONS[log_prefix],
            deps=[log_store_key(log_prefix)],
            group_name="raw",
            kinds={"postgres"},
            description=f"{RAW_SCHEMA}.{table}: rows imported from {source} (see README.md § The warehouse).",
        )
        for table in tables
    ]
