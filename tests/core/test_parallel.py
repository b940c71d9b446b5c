"""How many threads `n_jobs` means (ml_pipeline/core/parallel.py), and that 0 is refused by name."""

from __future__ import annotations

import joblib
import pytest

from ml_pipeline.core import parallel
from ml_pipeline.core.config import CvConfig


def test_workers_follow_n_jobs_and_never_exceed_the_tasks() -> None:
    cores = joblib.cpu_count()
    assert parallel.workers(1, 5) == 1
    assert parallel.workers(-1, 100) == cores
    assert parallel.workers(-1, 1) == 1
    assert parallel.workers(3, 2) == 2


def test_threads_cap_the_inner_pools() -> None:
    """Two workers on N cores: each worker's OpenMP/BLAS pools get N // 2 threads (at least 1)."""
    import sklearn.ensemble  # noqa: F401  # loads scikit-learn's OpenMP runtime
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(8):  # as on a machine without OMP_NUM_THREADS
        with parallel.threads(2, 2) as count:
            assert count == 2
            inner = [pool["num_threads"] for pool in threadpool_info()]
        outside = [pool["num_threads"] for pool in threadpool_info()]
    assert inner and max(inner) == max(1, joblib.cpu_count() // 2)
    assert max(outside) == 8


def test_zero_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="0 workers"):
        CvConfig(n_splits=3, n_jobs=0, gap=None, max_train_size=None)
