"""Where the stages compute: in their own process (`local`) or on a Dask cluster (`dask`).
Defaults: conf/compute/."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ml_pipeline.core.config_base import Strict


class ComputeConfig(Strict):
    """`engine: dask` validates, trains LightGBM's Dask estimator (modeling/dask_train.py),
    evaluates and scores over the prepared Parquet's partitions on the scheduler at `address` (or
    $DASK_SCHEDULER_ADDRESS), else on a LocalCluster of `n_workers` × `memory_limit`."""

    engine: Literal["local", "dask"] = "local"
    address: str | None = None
    n_workers: int = Field(2, ge=1)  # LocalCluster only
    threads_per_worker: int = Field(1, ge=1)  # LocalCluster only
    memory_limit: str = "2GB"  # per LocalCluster worker (Dask's spelling: 2GB, 512MiB, 0 = none)
    holdout: float = Field(0.2, gt=0, lt=1)  # dask: share of train rows scored instead of CV
