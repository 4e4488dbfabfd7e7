"""The Hawk API (FastAPI) and the Dagster UI's auth proxy."""
