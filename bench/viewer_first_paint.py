"""Time to first paint of the log viewer on a 2,000-sample log: Hawk's `/view` (served by `hawk serve`)
next to `inspect view` on the same file, in the same run, in headless Chromium (median of N, alternating).

    .venv/bin/python bench/viewer_first_paint.py             # the import bench's wide log (2,000 samples)
    .venv/bin/python bench/viewer_first_paint.py --samples 200 --repeat 3

The log is the import bench's *wide* log (bench/importbench/logs.py, generated once and cached under
`.hawk/bench/import/`). Each visit is a fresh browser context (no cache) opening the log's samples list;
"first paint" is the time from navigation until the first sample's input text is visible (the log's
content on screen, not only the page shell); first-contentful-paint of the shell is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.importbench.logs import ensure_log, wide_spec  # noqa: E402
from hawk_dagster.access.models_file import write_models_file  # noqa: E402
from hawk_dagster.logstore import EVALS_PREFIX, LogStore  # noqa: E402

BROWSER_DIR = REPO_ROOT / "tests" / "fixtures" / "browser"
DEFAULT_CACHE_DIR = REPO_ROOT / ".hawk" / "bench" / "import"

# One visit per line of input: {"url", "waitFor"} -> {"firstPaintMs", "fcpMs"} (playwright-core, Debian chromium).
VISITS_JS = r"""
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
const visits = JSON.parse(readFileSync(0, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.HAWK_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  for (const visit of visits) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const start = Date.now();
    await page.goto(visit.url, { waitUntil: "commit", timeout: 300000 });
    await page.waitForFunction(
      (text) => document.body && document.body.innerText.includes(text), visit.waitFor,
      { timeout: 300000, polling: 50 },
    );
    const firstPaintMs = Date.now() - start;
    const fcpMs = await page.evaluate(() => {
      const entry = performance.getEntriesByName("first-contentful-paint")[0];
      return entry ? entry.startTime : null;
    });
    process.stdout.write(JSON.stringify({ label: visit.label, firstPaintMs, fcpMs }) + "\n");
    await context.close();
  }
} finally {
  await browser.close();
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(command: list[str], url: str, env: dict[str, str], log: Path) -> Iterator[None]:
    """A server process until the block ends; waits until `url` answers."""
    process = subprocess.Popen(
        command,
        env=env,
        cwd=REPO_ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def first_sample_text(path: Path) -> str:
    """The first line (up to 40 chars) of the first sample's input, as the samples list shows it."""
    from inspect_ai.log import read_eval_log_sample_summaries

    summary = read_eval_log_sample_summaries(str(path))[0]
    text = summary.input if isinstance(summary.input, str) else summary.input[0].text
    return text.strip().splitlines()[0][:40]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    args = parser.parse_args()

    print(f"log: wide, {args.samples} samples (generated once, cached in {args.cache_dir})", flush=True)
    log = ensure_log(wide_spec(args.samples), args.cache_dir.resolve())
    eval_set_id = Path(log.key).parent.name
    file_name = Path(log.key).name
    print(f"     {log.path} ({log.eval_bytes / 1e6:.1f} MB)", flush=True)
    wait_for = first_sample_text(log.path)

    with tempfile.TemporaryDirectory(prefix="hawk-viewer-bench-") as work:
        work_dir = Path(work)
        log_root = work_dir / "logs"
        (log_root / EVALS_PREFIX / eval_set_id).mkdir(parents=True)
        (log_root / EVALS_PREFIX / eval_set_id / file_name).symlink_to(log.path)
        write_models_file(
            LogStore.from_root(str(log_root)), EVALS_PREFIX, eval_set_id, ["hawk-offline/careful"], []
        )
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("HAWK_MODEL_ACCESS_TOKEN_")
        }
        env.update(HAWK_LOG_ROOT=str(log_root), INSPECT_DISPLAY="none", HAWK_HOME=str(work_dir / "home"))
        hawk_port, inspect_port = free_port(), free_port()
        hawk = f"http://127.0.0.1:{hawk_port}"
        inspect = f"http://127.0.0.1:{inspect_port}"
        fragment = f"#/logs/{urllib.parse.quote(file_name)}/samples/"
        urls = {
            "hawk /view": f"{hawk}/view/?inspect_server=true&log_dir={eval_set_id}{fragment}",
            "inspect view": f"{inspect}/{fragment}",
        }
        hawk_command = [sys.executable, "-m", "hawk_dagster.cli.main", "serve", "--port", str(hawk_port)]
        inspect_command = [
            str(Path(sys.executable).parent / "inspect"),
            "view",
            "--log-dir",
            str(log_root / EVALS_PREFIX / eval_set_id),
            "--port",
            str(inspect_port),
        ]
        with (
            serving(hawk_command, f"{hawk}/health", env, work_dir / "hawk.log"),
            serving(inspect_command, f"{inspect}/", env, work_dir / "inspect.log"),
        ):
            visits = [
                {"label": label, "url": url, "waitFor": wait_for}
                for _ in range(args.repeat)
                for label, url in urls.items()
            ]
            result = subprocess.run(
                ["node", "--input-type=module", "-e", VISITS_JS],
                input=json.dumps(visits),
                cwd=BROWSER_DIR,
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            if result.returncode != 0:
                raise SystemExit(f"the browser failed: {result.stderr[-3000:]}")
    seen = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    print(f"\ntime to first paint of a {log.samples}-sample log ({log.eval_bytes / 1e6:.1f} MB), Chromium,")
    print(f"median of {args.repeat} (first sample's input visible; shell first-contentful-paint beside it):")
    for label in urls:
        paints = [v["firstPaintMs"] for v in seen if v["label"] == label]
        fcps = [v["fcpMs"] for v in seen if v["label"] == label and v["fcpMs"] is not None]
        fcp = f"{statistics.median(fcps):6.0f} ms" if fcps else "     n/a"
        runs = ", ".join(f"{p / 1000:.2f}" for p in paints)
        print(f"  {label:<13} {statistics.median(paints) / 1000:6.2f} s   (runs: {runs} s)   shell FCP {fcp}")


if __name__ == "__main__":
    main()
