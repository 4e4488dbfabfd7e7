"""Dagster run statuses in which a run is still active (not ended): what `hawk delete` stops and
`hawk logs -f` / `HawkClient.wait` keep following."""

from __future__ import annotations

ACTIVE_STATUSES = frozenset({"QUEUED", "NOT_STARTED", "MANAGED", "STARTING", "STARTED", "CANCELING"})
