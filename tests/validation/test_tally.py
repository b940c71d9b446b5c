"""`validate` at any size (ml_pipeline/validation/tally.py, splits.py): its own checks counted a
row group at a time, or over partitions on an in-process LocalCluster, give the outcomes of the
whole frames; Great Expectations on a large split runs on a seeded sample with the row count
of every row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commands.compose import compose
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.contract_config import DriftCheck
from ml_pipeline.validation import splits
from ml_pipeline.validation.checks import balance_of, consistency, consistency_of, counted_columns
from ml_pipeline.validation.tally import dask_tally, kind, parquet_tally
from stages import prepare, validate
from tests.conftest import ROOT, tiny_overrides


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Params, dict[str, Path]]:
    """tiny's prepared splits in row groups of 17 rows (several chunks, the last short)."""
    out = tmp_path_factory.mktemp("tally")
    compose(out / "params.yaml", tiny_overrides(), ROOT / "conf")
    params = load_params(out / "params.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        frames = dict(zip(("train", "test"), prepare.run(params)[:2], strict=False))
    files = {}
    for split, frame in frames.items():
        frame.loc[frame.index[:3], "workclass"] = None  # missing values are not counted
        files[split] = out / f"{split}.parquet"
        frame.to_parquet(files[split], row_group_size=17)
    return params, files


@pytest.mark.parametrize("statistic", ["ks", "psi"])
def test_counted_over_chunks_the_checks_are_those_of_the_whole_frames(
    tiny: tuple[Params, dict[str, Path]], statistic: str
) -> None:
    params, files = tiny
    drift = DriftCheck(statistic=statistic, threshold=0.0001)  # some columns fail
    params = params.model_copy(
        update={"validation": params.validation.model_copy(update={"drift": drift})}
    )
    train, test = (pd.read_parquet(files[s]) for s in ("train", "test"))
    outcomes, rows = validate.run_files(params, files)
    assert outcomes == validate.run(params, train, test)
    assert rows == {"train": len(train), "test": len(test)}
    assert any(not o.success for o in outcomes if o.expectation.endswith("_drift_below_threshold"))


def test_on_dask_the_counts_are_those_of_the_row_groups(
    tiny: tuple[Params, dict[str, Path]], dask_client: object
) -> None:
    params, files = tiny
    suite, target = params.validation, params.data.target
    frame = pd.read_parquet(files["train"])
    kinds = {c: kind(frame[c]) for c in frame.columns}
    counted = counted_columns(kinds, target, suite)
    assert target in counted and "workclass" in counted and "age" in counted
    here = {s: parquet_tally(p, counted) for s, p in files.items()}
    there = {s: dask_tally(p, counted, dask_client) for s, p in files.items()}
    for split in files:
        assert there[split].rows == here[split].rows and there[split].kinds == here[split].kinds
        for column in counted:
            pd.testing.assert_series_equal(
                there[split].counts[column].sort_index(), here[split].counts[column].sort_index()
            )
        assert balance_of(there[split], target, suite, split) == balance_of(
            here[split], target, suite, split
        )
    test = pd.read_parquet(files["test"])
    expected = consistency(frame, test, suite)
    assert consistency_of(there["train"], there["test"], suite) == expected


def test_a_large_split_is_sampled_for_gx_and_its_row_count_is_exact(
    tiny: tuple[Params, dict[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    params, files = tiny
    rows = splits.file_rows(files["train"])
    monkeypatch.setattr(splits, "GX_MAX_ROWS", 40)
    sample = splits.gx_frame(files["train"], params.seed)
    whole = pd.read_parquet(files["train"])
    assert len(sample) == 40 and sample.equals(splits.gx_frame(files["train"], params.seed))
    assert not sample.equals(splits.gx_frame(files["train"], params.seed + 1))
    merged = sample.merge(whole.drop_duplicates(), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()  # rows of the file, not made up
    bounded = params.validation.row_count.model_copy(update={"max": rows - 1})  # one too many
    params = params.model_copy(
        update={"validation": params.validation.model_copy(update={"row_count": bounded})}
    )
    outcomes, counts = validate.run_files(params, files)
    (count,) = [o for o in outcomes if o.split == "train" and o.key == splits.ROW_COUNT_KEY]
    assert counts["train"] == rows and count.observed == rows and not count.success
