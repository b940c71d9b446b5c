"""`make dask-cluster`: a Dask scheduler and workers on this machine, until Ctrl-C.

python -m commands.dask_cluster [--workers 2] [--memory-limit 2GB] [--port 8786] [--dashboard 8787]

The workers are processes of this interpreter, which has the repository on its path (make sets
PYTHONPATH), so they can unpickle the project's tasks. Point the pipeline at the address it
prints: `-S compute=dask -S compute.address=...` or DASK_SCHEDULER_ADDRESS (also the search's).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from ml_pipeline.core.cluster import DASK_ENV, check_workers
from ml_pipeline.core.errors import entry_point


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make dask-cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--memory-limit", default="2GB", help="per worker (Dask's spelling)")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to accept other machines")
    parser.add_argument("--port", type=int, default=8786)
    parser.add_argument("--dashboard", type=int, default=8787)
    return parser.parse_args(argv)


@entry_point("dask-cluster")
def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    from distributed import Client, LocalCluster

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=args.threads,
            memory_limit=args.memory_limit,
            host=args.host,
            scheduler_port=args.port,
            dashboard_address=f"{args.host}:{args.dashboard}",
        ) as cluster,
        Client(cluster) as client,
    ):
        count = check_workers(client, "dask-cluster")
        print(
            f"dask-cluster: scheduler {cluster.scheduler_address}, {count} workers × "
            f"{args.memory_limit}; dashboard {cluster.dashboard_link}\n"
            f"dask-cluster: use it with `export {DASK_ENV}={cluster.scheduler_address}` "
            "and `-S compute=dask`; Ctrl-C stops it",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: close the cluster and return
            stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
