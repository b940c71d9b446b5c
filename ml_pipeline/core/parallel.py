"""Independent fits and predictions on threads: CV folds (`cv.n_jobs`) and permutation-importance
columns (`evaluate.n_jobs`).

Threads, not processes: the heavy parts of the fits and predictions are compiled code that
releases the GIL (HistGradientBoosting, LightGBM, BLAS), while a worker process would pay an
interpreter start, scikit-learn's import and a copy of the data: more than a fold of a small
dataset costs. The OpenMP and BLAS pools are capped so that workers × their threads ≤ cores.
Nothing random is shared between tasks (each carries its own seed) and results come back in
task order, so any `n_jobs` gives the numbers of a serial run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def workers(n_jobs: int, tasks: int) -> int:
    """Threads for `tasks` tasks: `n_jobs` (-1: every core, -2: all but one), at most `tasks`."""
    from joblib import effective_n_jobs

    return max(1, min(tasks, effective_n_jobs(n_jobs)))


@contextmanager
def threads(n_jobs: int, tasks: int) -> Iterator[int]:
    """Run joblib's `Parallel` on that many threads inside the block; yields the count."""
    count = workers(n_jobs, tasks)
    if count == 1:  # serial: nothing changes
        yield 1
        return
    from joblib import cpu_count, parallel_config
    from threadpoolctl import threadpool_limits

    with (
        parallel_config(backend="threading", n_jobs=count),
        threadpool_limits(max(1, cpu_count() // count)),
    ):
        yield count
