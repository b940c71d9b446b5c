"""Every file a stage reads or writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

PARAMS = Path("params.yaml")
CHECK_REPORT = Path("reports/check.json")
PREPARED_TRAIN = Path("data/prepared/train.parquet")
PREPARED_TEST = Path("data/prepared/test.parquet")
PREPARE_REPORT = Path("reports/prepare.json")
MODEL_DIR = Path("models/model")
TRAIN_REPORT = Path("reports/train.json")
METRICS = Path("metrics.json")
TIMINGS = Path("reports/timings.json")
PLOTS_DIR = Path("reports/plots")
FIGURES_DIR = Path("reports/figures")
LEARNING_CURVE_CSV = "learning_curve.csv"  # in PLOTS_DIR: the test loss per boosting iteration
CALIBRATION_CSV = "calibration.csv"  # in PLOTS_DIR: the reliability curve of a classifier
# The test rows' predictions (evaluation/paired.py): what register and the PR report pair on.
PREDICTIONS = Path("reports/predictions.parquet")
VALIDATION_REPORT = Path("reports/validation.json")
VALIDATION_HTML = Path("reports/validation.html")
RUN_INFO = Path("models/run.json")
SLICES = Path("reports/slices.json")  # per-slice test metrics (evaluation/slices.py)
REGISTRATION = Path("reports/registration.json")
# The prepared splits by name, as lineage tags (`data.md5.<split>`) name them.
PREPARED = {"train": PREPARED_TRAIN, "test": PREPARED_TEST}

SEARCH_REPORT = Path("reports/search.json")
# After release (docs/monitoring.md): new batches per dataset; the `score` stage's outputs
# (their predictions, the summary), the `monitor` stage's.
INCOMING_DIR = Path("data/incoming")
SCORED_DIR = Path("data/scored")
SCORE_REPORT = Path("reports/score.json")
MONITOR_REPORT = Path("reports/monitor.json")
MONITOR_DECISION = Path("reports/monitor_decision.json")
# Not in reports/plots: `evaluate` owns that folder (DVC refuses overlapping outputs).
MONITOR_HISTORY = Path("reports/monitor_history.csv")
MONITOR_HTML = Path("reports/monitor.html")
PROFILE_DIR = Path("reports/profile")  # make profile DATA=<name>: <name>.html
# The champion's reference sample, an artifact of its training run (`train` logs it).
REFERENCE_ARTIFACT = "monitoring/reference.parquet"

# Files of the repository that are not a stage's dependency or output.
CONF_DIR = Path("conf")
DVC_YAML = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")
PR_REPORT_DIR = Path("pr-report")
NOT_STAGE_FILES = (CONF_DIR, DVC_YAML, DVC_LOCK, PR_REPORT_DIR, PROFILE_DIR)


def cost_report(stage: str) -> Path:
    """`reports/cost/<stage>.json`: what the stage's run cost (ml_pipeline/core/cost.py)."""
    return Path("reports/cost") / f"{stage}.json"
