"""gunicorn reads this file from its working directory: the hooks the Prometheus metrics need.

With PROMETHEUS_MULTIPROC_DIR set (core/metrics.py), each worker writes its metrics to files there. The
files of an earlier run are removed when gunicorn starts, and a worker that exits has its live gauges
marked dead, so the scrape adds up only what belongs to this run.
"""

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
