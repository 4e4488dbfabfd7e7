"""A small Python client of the Hawk API for notebooks: submit eval sets and scans, wait, list, status.

    from hawk_dagster.client import HawkClient
    hawk = HawkClient()                      # HAWK_API_URL and the `hawk login` token by default
    run = hawk.submit_eval_set("examples/simple.eval-set.yaml")
    hawk.wait(run, timeout=600)["run"]["status"]
    hawk.list_samples(run["eval_set_id"], score_min=0.5)["items"]

The CLI's job verbs make the same calls (one HTTP layer: `hawk_dagster.cli.api_client.call`).
"""

from hawk_dagster.client.hawk import HawkClient, JobTimeout

__all__ = ["HawkClient", "JobTimeout"]
