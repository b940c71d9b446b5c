"""`make mutants`: apply one-line mutations of the code to a copy and run the fast tests on each.

Each mutant replaces one exact snippet of a module (it must occur once) and runs the fast tests
that cover that module; a failing test run kills it. First, every test file the chosen mutants
name runs once on the unmutated copy: if one already fails, a "kill" proves nothing, so the
check stops there with one line naming it (exit 2). Prints killed/survived per mutant and exits
1 when a mutant marked `must_kill` survives. Runs in a temporary copy of the repository's files,
so the work tree is never touched.

    python tools/mutants.py [NAME_FILTER]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = [
    "-m",
    "not slow and not integration",
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "-o",
    "addopts=",
]
# The unmutated run: every failure listed (no -x), each on a `FAILED path::test` line.
UNMUTATED = [arg for arg in FAST if arg != "-x"] + ["-rfE"]


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    tests: tuple[str, ...]
    must_kill: bool = False


MUTANTS = [
    Mutant(
        "before_moving after the move",
        "ml_pipeline/core/outputs.py",
        "        if before_moving is not None:\n            before_moving(staged)\n"
        "        for path, tmp in staged.items():\n            with _writing(path):\n"
        "                _remove(path)\n                os.replace(tmp, path)\n",
        "        for path, tmp in staged.items():\n            with _writing(path):\n"
        "                _remove(path)\n                os.replace(tmp, path)\n"
        "        if before_moving is not None:\n            before_moving(staged)\n",
        ("tests/core/test_outputs.py",),
        must_kill=True,
    ),
    Mutant(
        "always champion",
        "ml_pipeline/registry/promotion.py",
        "alias = CHAMPION if better else CHALLENGER",
        "alias = CHAMPION",
        ("tests/registry/test_promotion.py",),
        must_kill=True,
    ),
    Mutant(
        "positive = classes[0]",
        "ml_pipeline/evaluation/metrics.py",
        "return positive_label if positive_label is not None else classes[-1]",
        "return positive_label if positive_label is not None else classes[0]",
        ("tests/evaluation/test_metrics.py",),
        must_kill=True,
    ),
    Mutant(
        "temporaries left behind",
        "ml_pipeline/core/outputs.py",
        "        for tmp in staged.values():\n            _remove(tmp)\n",
        "        pass\n",
        ("tests/core/test_outputs.py",),
    ),
    Mutant(
        "at_least strict",
        "ml_pipeline/registry/promotion.py",
        'return value >= bound if direction == "higher" else value <= bound',
        'return value > bound if direction == "higher" else value <= bound',
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "not comparable promotes",
        "ml_pipeline/registry/promotion.py",
        "    if champion.value is None:\n        return CHALLENGER, ",
        "    if champion.value is None:\n        return CHAMPION, ",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "comparison flag ignored",
        "ml_pipeline/registry/promotion.py",
        "if not config.compare_with_champion:",
        "if False:",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "already registered re-registers",
        "ml_pipeline/registry/promotion.py",
        "if candidate.registered_as is not None:",
        "if False:",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "new champion keeps the old after",
        "ml_pipeline/registry/promotion.py",
        "        if self.alias == CHAMPION:\n",
        "        if False:\n",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "thresholds ignored",
        "ml_pipeline/registry/promotion.py",
        "    if failed:  # the champion, if any, stays as it is\n",
        "    if False:  # the champion, if any, stays as it is\n",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "lineage flag spelled True",
        "ml_pipeline/tracking/lineage.py",
        "return None if value is None else str(value).lower()",
        "return None if value is None else str(value)",
        ("tests/tracking/test_lineage.py",),
    ),
    Mutant(
        "lock hashes include the running stage",
        "ml_pipeline/tracking/lineage.py",
        "names = names[: names.index(before)]",
        "names = names[: names.index(before) + 1]",
        ("tests/tracking/test_lineage.py",),
    ),
    Mutant(
        "MAPE where a target is near zero",
        "ml_pipeline/evaluation/metrics.py",
        "if mape_defined(y_true)",
        "if True",
        ("tests/evaluation/test_metrics.py",),
    ),
    Mutant(
        "multi-class weighted",
        "ml_pipeline/evaluation/metrics.py",
        '{"average": "macro"}',
        '{"average": "weighted"}',
        ("tests/evaluation/test_metrics.py",),
    ),
    Mutant(
        "error exit 1",
        "ml_pipeline/core/errors.py",
        "    return ERROR_STATUS\n",
        "    return 1\n",
        ("tests/data/test_prepare_bad_input.py",),
    ),
    Mutant(
        "password shown",
        "ml_pipeline/core/errors.py",
        "return f\"{found['scheme']}{found['user']}:***@\"",
        "return found[0]",
        ("tests/core/test_errors.py",),
    ),
    Mutant(
        "misspelt key reported as missing",
        "ml_pipeline/core/config_errors.py",
        'first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])',
        "first = errors[0]",
        ("tests/core/test_config.py",),
    ),
    Mutant(
        "estimator not seeded",
        "ml_pipeline/modeling/pipeline.py",
        '({"random_state": seed} if family.seeded else {})',
        "{}",
        ("tests/modeling/test_modeling.py",),
    ),
    Mutant(
        "reproduce never differs",
        "commands/reproduce.py",
        "        if reproduced.get(name) != value\n",
        "        if False\n",
        ("tests/registry/test_reproduce.py",),
    ),
    Mutant(
        "curves not thinned",
        "ml_pipeline/evaluation/plots.py",
        "    if len(curve) <= max_points:\n",
        "    if True:\n",
        ("tests/evaluation/test_plots.py",),
    ),
    Mutant(
        "run links printed",
        "ml_pipeline/tracking/store.py",
        'os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"',
        'os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "false"',
        ("tests/project/test_secrets.py",),
    ),
    Mutant(
        "headerless column count unchecked",
        "ml_pipeline/data/headerless.py",
        "    if found != len(expected):\n",
        "    if False:\n",
        ("tests/data/test_prepare_bad_input.py",),
    ),
    Mutant(
        "class spellings not compared",
        "ml_pipeline/data/changes.py",
        "groups[str(label).strip().casefold()]",
        "groups[str(label)]",
        ("tests/data/test_datachanges.py",),
    ),
    Mutant(
        "server stack trace kept",
        "ml_pipeline/serving/app.py",
        "        if response.status_code < 400:\n",
        "        if True:\n",
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "killed runs never reconciled",
        "ml_pipeline/tracking/orphans.py",
        "        if not pid.isdigit() or alive(int(pid)):\n",
        "        if True:\n",
        ("tests/tracking/test_orphans.py",),
    ),
    Mutant(
        "importance shuffles one-hot outputs one by one",
        "ml_pipeline/evaluation/importance.py",
        "    if names != list(rows.columns):\n        return model, rows\n",
        "",
        ("tests/evaluation/test_importance.py",),
        must_kill=True,
    ),
    Mutant(
        "inner thread pools not capped",
        "ml_pipeline/core/parallel.py",
        "max(1, cpu_count() // count)",
        "cpu_count()",
        ("tests/core/test_parallel.py",),
    ),
    Mutant(
        "full store is a traceback",
        "ml_pipeline/core/faults.py",
        "    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS\n",
        "    return False\n",
        ("tests/tracking/test_store_faults.py",),
    ),
    Mutant(
        "an applied experiment's params.yaml called stale",
        "commands/compose.py",
        '        if git("show", f"{ref}:{name}") == params.read_text():\n',
        "        if False:\n",
        ("tests/core/test_config.py",),
    ),
    Mutant(
        "damaged SQLite store left to MLflow's retries",
        "ml_pipeline/tracking/store.py",
        "    check_sqlite(store)\n",
        "",
        ("tests/tracking/test_store.py",),
    ),
    Mutant(
        "refused output write is a traceback",
        "ml_pipeline/core/outputs.py",
        "        if not (is_storage_error(exc) or not_a_folder):\n",
        "        if True:\n",
        ("tests/core/test_outputs.py",),
    ),
    Mutant(
        "predict ignores data.read.thousands",
        "ml_pipeline/data/dataset.py",
        "    if read.thousands:\n",
        "    if False:\n",
        ("tests/serving/test_predict.py",),
    ),
    Mutant(
        "predict reads a headerless batch as if it had a header",
        "commands/predict.py",
        "names = None if read.header or data is None else input_names(path, data, columns)",
        "names = None",
        ("tests/serving/test_predict.py",),
    ),
    Mutant(
        "learning curve without scikit-learn's clipping",
        "ml_pipeline/evaluation/curves.py",
        "np.log(np.clip(proba, eps, 1 - eps)[picked])",
        "np.log(proba[picked])",
        ("tests/evaluation/test_curves.py",),
    ),
    Mutant(
        "search imports pandas before knowing it searches",
        "stages/search.py",
        "from ml_pipeline.core import paths\n",
        "import pandas\n\nfrom ml_pipeline.core import paths\n",
        ("tests/project/test_imports.py",),
    ),
    Mutant(
        "register logs the evaluation again on every run of the stage",
        "stages/register.py",
        "    if tags.get(EVALUATION_TAG) == digest:\n",
        "    if False:\n",
        ("tests/registry/test_register.py",),
    ),
    Mutant(
        "evaluate loads the model through MLflow",
        "stages/evaluate.py",
        "    model = load_pipeline(paths.MODEL_DIR)\n",
        '    model = __import__("mlflow.sklearn").sklearn.load_model(str(paths.MODEL_DIR))\n',
        ("tests/modeling/test_model_dir.py",),
    ),
    # The modules split out of checks.py, ui.py, train.py, model_card.py and recipe.py (issue 22).
    Mutant(
        "validation page cells unescaped",
        "ml_pipeline/validation/html.py",
        "cells = [html.escape(str(c)) for c in cells]",
        "cells = [str(c) for c in cells]",
        ("tests/validation/test_html.py",),
    ),
    Mutant(
        "validation page title unescaped",
        "ml_pipeline/validation/html.py",
        "<title>Validation: {html.escape(title)}</title>",
        "<title>Validation: {title}</title>",
        ("tests/validation/test_html.py",),
    ),
    Mutant(
        "validation page always says passed",
        "ml_pipeline/validation/html.py",
        'verdict = "passed" if summary["success"] else "FAILED"',
        'verdict = "passed"',
        ("tests/validation/test_html.py",),
    ),
    Mutant(
        "unseen categories as a share of train rows",
        "ml_pipeline/validation/checks.py",
        "fraction = len(unseen) / len(test) if len(test) else 0.0",
        "fraction = len(unseen) / len(train) if len(train) else 0.0",
        ("tests/validation/test_validation.py",),
    ),
    Mutant(
        "drift of train against itself",
        "ml_pipeline/validation/checks.py",
        "score(train[column].to_numpy(dtype=float), test[column].to_numpy(dtype=float))",
        "score(train[column].to_numpy(dtype=float), train[column].to_numpy(dtype=float))",
        ("tests/validation/test_validation.py",),
    ),
    Mutant(
        "a changed column type goes unnoticed",
        "ml_pipeline/validation/checks.py",
        "if train_types.get(c) != test_types.get(c)",
        "if (c in train_types) != (c in test_types)",
        ("tests/validation/test_validation.py",),
    ),
    Mutant(
        "RMSE curve without the square root",
        "ml_pipeline/evaluation/curves.py",
        "float(np.sqrt(np.mean((truth - pred) ** 2)))",
        "float(np.mean((truth - pred) ** 2))",
        ("tests/evaluation/test_curves.py",),
    ),
    Mutant(
        "learning curve on every row",
        "ml_pipeline/evaluation/curves.py",
        "    rows = features.iloc[:CURVE_MAX_ROWS]\n"
        "    truth = np.asarray(target)[:CURVE_MAX_ROWS]\n",
        "    rows = features\n    truth = np.asarray(target)\n",
        ("tests/evaluation/test_curves.py",),
    ),
    Mutant(
        "learning curve skips the preprocessing",
        "ml_pipeline/evaluation/curves.py",
        "transformed = model[:-1].transform(rows) if len(model) > 1 else rows",
        "transformed = rows",
        ("tests/evaluation/test_curves.py",),
    ),
    Mutant(
        "saved signature keeps optional columns",
        "ml_pipeline/tracking/model_save.py",
        "inputs = Schema([ColSpec(spec.type, spec.name) for spec in signature.inputs.inputs])",
        "inputs = signature.inputs",
        ("tests/serving/test_predict.py",),
    ),
    Mutant(
        "model card without the CV spread",
        "ml_pipeline/registry/model_card.py",
        '(f" ± {std:.2g}" if std is not None else "")',
        '""',
        ("tests/tracking/test_mlflow_view.py",),
    ),
    Mutant(
        "model card without the data table",
        "ml_pipeline/registry/model_card.py",
        "    if not data:\n        return []\n",
        "    if True:\n        return []\n",
        ("tests/tracking/test_mlflow_view.py",),
    ),
    Mutant(
        "built features borrow rows across groups",
        "ml_pipeline/features/recipe.py",
        "        if not group:\n            return series.shift(k)\n",
        "        if True:\n            return series.shift(k)\n",
        ("tests/features/test_timefeatures.py",),
    ),
    Mutant(
        "bench table shows the wall-time ratio as the CPU ratio",
        "benchmarks/table.py",
        "| {r['ratio']['cpu_s']}× |",
        "| {r['ratio']['wall_s']}× |",
        ("tests/project/test_bench.py",),
    ),
    Mutant(
        "docs site accepts links to missing headings",
        "mkdocs.yml",
        "  anchors: warn\n",
        "  anchors: info\n",
        ("tests/project/test_docs.py",),
    ),
    Mutant(
        "search drops the walk-forward gap",
        "ml_pipeline/modeling/tuning.py",
        "    folds = cv.folds(params, features, target)  # train's CV folds (modeling/cv.py)\n",
        "    folds = list(cv.splitter(model_data(params), params.cv, params.seed, 0)"
        ".split(features, target))\n",
        ("tests/modeling/test_cv.py",),
        must_kill=True,
    ),
    Mutant(
        "train's CV drops the gap",
        "stages/train.py",
        "    folds = cv.folds(params, features, target)  # the search's trials fit on these too\n",
        "    folds = list(cv.splitter(data, params.cv, params.seed, 0).split(features, target))\n",
        ("tests/modeling/test_cv.py",),
        must_kill=True,
    ),
    Mutant(
        "CV folds ignore cv.gap",
        "ml_pipeline/modeling/cv.py",
        "params.seed, cv_gap(params))",
        "params.seed, 0)",
        ("tests/modeling/test_cv.py",),
        must_kill=True,
    ),
    Mutant(
        "search scores a trial's first fold twice, never its last",
        "ml_pipeline/modeling/tuning.py",
        "for f in range(1, n_folds)]",
        "for f in range(n_folds - 1)]",
        ("tests/modeling/test_cv.py",),
    ),
    Mutant(
        "catalog: rmse is higher-is-better",
        "ml_pipeline/evaluation/catalog.py",
        '        "rmse",\n        "regression",\n        "lower",\n',
        '        "rmse",\n        "regression",\n        "higher",\n',
        ("tests/evaluation/test_catalog.py",),
        must_kill=True,
    ),
    Mutant(
        "catalog: a skill score follows its metric's direction",
        "ml_pipeline/evaluation/catalog.py",
        'return "higher" if name.startswith("skill.") else metric.direction',
        "return metric.direction",
        ("tests/reporting/test_verdicts_charts.py",),
        must_kill=True,
    ),
    Mutant(
        "catalog: a contradicting direction is accepted",
        "ml_pipeline/evaluation/catalog.py",
        "    if given is not None and known is not None and given != known:\n",
        "    if False:\n",
        ("tests/core/test_config.py",),
        must_kill=True,
    ),
    Mutant(
        "config: an omitted direction is higher",
        "ml_pipeline/core/config_base.py",
        'return {**data, "direction": known}',
        'return {**data, "direction": "higher"}',
        ("tests/core/test_config.py",),
        must_kill=True,
    ),
    Mutant(
        "search: no direction maximises",
        "ml_pipeline/modeling/tuning.py",
        "return params.search.direction or METRICS[metric_of(params)[0]].direction",
        'return params.search.direction or "higher"',
        ("tests/modeling/test_search.py",),
        must_kill=True,
    ),
    Mutant(
        "lineage: a null metric is tagged None",
        "ml_pipeline/tracking/lineage.py",
        "            if value is not None\n",
        "            if True\n",
        ("tests/registry/test_null_metrics.py",),
        must_kill=True,
    ),
    Mutant(
        "lineage: a legacy None tag is parsed as a float",
        "ml_pipeline/tracking/lineage.py",
        "return None if text.strip() in NULL_TAGS else float(text)",
        "return float(text)",
        ("tests/registry/test_null_metrics.py",),
        must_kill=True,
    ),
    Mutant(
        "promotion: a null primary metric is compared",
        "ml_pipeline/registry/promotion.py",
        "    if value is None:\n        return CHALLENGER, (",
        "    if False:\n        return CHALLENGER, (",
        ("tests/registry/test_promotion.py",),
    ),
    Mutant(
        "champion re-scoring catches every exception",
        "stages/register.py",
        "    except (MlflowException, OSError, ImportError, ValueError, KeyError) as exc:\n",
        "    except Exception as exc:\n",
        ("tests/registry/test_register.py",),
        must_kill=True,
    ),
    Mutant(
        "stage's own error is transient",
        "orchestration/stage.py",
        "return StageFailed(run.stage, errors[0], retryable=is_transient_line(errors[0]))",
        "return StageFailed(run.stage, errors[0], retryable=True)",
        ("tests/orchestration/test_transient.py",),
        must_kill=True,
    ),
    Mutant(
        "flow passes over a failed stage",
        "orchestration/prefect_flow.py",
        "summaries = [future.result() for future in futures.values()]",
        "summaries = [future.result(raise_on_failure=False) for future in futures.values()]",
        ("tests/orchestration/test_prefect_flow.py",),
        must_kill=True,
    ),
    Mutant(
        "flow retries a stage's own error",
        "orchestration/prefect_flow.py",
        "(isinstance(failure, StageFailed) and failure.retryable)",
        "True",
        ("tests/orchestration/test_prefect_flow.py",),
        must_kill=True,
    ),
    Mutant(
        "flow's stage error exits 1",
        "orchestration/prefect_flow.py",
        'return 1 if is_transient_failure(line) or "encountered an exception" in line else 2',
        "return 1",
        ("tests/orchestration/test_prefect_flow.py",),
        must_kill=True,
    ),
    Mutant(
        "MLflow errors not handled",
        "ml_pipeline/core/errors.py",
        "        if not is_store_fault(exc):\n            raise\n",
        "        raise\n",
        ("tests/core/test_errors.py",),
    ),
    Mutant(
        "handler does not redact",
        "ml_pipeline/core/errors.py",
        "    print(capped(redacted(line), LINE_CHARS) + mark, file=sys.stderr)\n",
        "    print(capped(line, LINE_CHARS) + mark, file=sys.stderr)\n",
        ("tests/core/test_errors.py",),
    ),
    Mutant(
        "header naming a column twice read on",
        "ml_pipeline/data/dataset.py",
        "    if header:\n        check_header_line(path, read)\n",
        "",
        ("tests/data/test_dataset.py", "tests/serving/test_predict.py"),
    ),
    Mutant(
        "request key given twice keeps its last value",
        "ml_pipeline/serving/app.py",
        "object_pairs_hook=unique_keys",
        "object_pairs_hook=dict",
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "echoed values not capped",
        "ml_pipeline/core/errors.py",
        "SHOWN_CHARS = 200 ",
        "SHOWN_CHARS = 10**9 ",
        (
            "tests/core/test_errors.py",
            "tests/data/test_dataset.py",
            "tests/serving/test_predict.py",
        ),
    ),
    Mutant(
        "categories outside the contract not capped",
        "ml_pipeline/validation/expectations.py",
        "return [capped(value) for value in values[:5]]",
        "return values[:5]",
        ("tests/validation/test_validation.py",),
    ),
    Mutant(
        "unseen test categories not capped",
        "ml_pipeline/validation/checks.py",
        "observed=[capped(value) for value in sorted(map(str, unseen.unique()))[:5]],",
        "observed=sorted(map(str, unseen.unique()))[:5],",
        ("tests/validation/test_validation.py",),
    ),
    Mutant(
        "served error message not capped",
        "ml_pipeline/serving/app.py",
        'shown["message"] = capped(shown["message"], MESSAGE_CHARS)',
        'shown["message"] = shown["message"]',
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "served body size not limited",
        "ml_pipeline/serving/app.py",
        "    app.add_middleware(BodyLimit, limit=max_bytes)",
        "    pass",
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "--max-request-mb ignored",
        "ml_pipeline/serving/app.py",
        "max_bytes=int(args.max_request_mb * 2**20)",
        "max_bytes=int(DEFAULT_MB * 2**20)",
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "request body replayed empty",
        "ml_pipeline/serving/app.py",
        '"body": b"".join(chunks)',
        '"body": b""',
        ("tests/serving/test_serving.py",),
    ),
    Mutant(
        "data.read.delimiter ignored",
        "ml_pipeline/data/dataset.py",
        "        sep=read.delimiter,\n        header=0 if header else None,\n",
        "        header=0 if header else None,\n",
        ("tests/data/test_dataset.py",),
    ),
    Mutant(
        "one column holding another delimiter read on",
        "ml_pipeline/data/dataset.py",
        "if len(names) == 1 and (hint := delimiter_hint(names[0], read.delimiter)):",
        "if False and (hint := delimiter_hint(names[0], read.delimiter)):",
        ("tests/data/test_dataset.py",),
    ),
    Mutant(
        "lag 0 allowed at horizon 0",
        "ml_pipeline/core/data_config.py",
        "if self.horizon == 0 and 0 in ks:",
        "if False and 0 in ks:",
        ("tests/features/test_timefeatures.py",),
    ),
    Mutant(
        "windows and changes include row t at horizon 0",
        "ml_pipeline/features/recipe.py",
        "return shift(column, 1) if features.horizon == 0 else table[column]",
        "return shift(column, 1) if features.horizon == 0 and column == data.target "
        "else table[column]",
        ("tests/features/test_timefeatures.py",),
    ),
    Mutant(
        "weakest naive baseline instead of strongest",
        "ml_pipeline/evaluation/baselines.py",
        'return max(known) if direction(metric) == "higher" else min(known)',
        'return min(known) if direction(metric) == "higher" else max(known)',
        ("tests/evaluation/test_baseline.py",),
    ),
    Mutant(
        "time column without recipe scored against the mean",
        "ml_pipeline/evaluation/baselines.py",
        "    if not data.time_column:\n        return forecasts\n",
        "    if not data.time_column or not features.active:\n        return forecasts\n",
        ("tests/evaluation/test_baseline.py",),
    ),
    Mutant(
        "target change looks ahead",
        "ml_pipeline/features/recipe.py",
        "shift(data.target, features.horizon))",
        "shift(data.target, -features.horizon))",
        ("tests/features/test_timefeatures.py",),
    ),
    Mutant(
        "target transform ignored",
        "ml_pipeline/features/recipe.py",
        "    if not transform:\n        return table[data.target]\n",
        "    if True:\n        return table[data.target]\n",
        ("tests/features/test_timefeatures.py",),
    ),
    Mutant(
        "tracking server down is not retried",
        "orchestration/stage.py",
        "retryable=is_transient_line(errors[0])",
        "retryable=False",
        ("tests/orchestration/test_transient.py",),
        must_kill=True,
    ),
    Mutant(
        "unreachable probe is permanent",
        "ml_pipeline/tracking/store.py",
        "    kind = Unavailable if down else StageError\n",
        "    kind = StageError\n",
        ("tests/orchestration/test_transient.py",),
        must_kill=True,
    ),
    Mutant(
        "airflow start keeps a stale record",
        "orchestration/airflow_tasks.py",
        "        recorded.unlink(missing_ok=True)\n        if not publishing:",
        "        if not publishing:",
        ("tests/orchestration/test_airflow_tasks.py",),
        must_kill=True,
    ),
    Mutant(
        "airflow restore without a record",
        "orchestration/airflow_tasks.py",
        "        if not recorded.is_file():\n",
        "        if False:\n",
        ("tests/orchestration/test_airflow_tasks.py",),
        must_kill=True,
    ),
    Mutant(
        "airflow run once publishes",
        "orchestration/airflow_tasks.py",
        "    if not publishing:\n        return [",
        "    if False:\n        return [",
        ("tests/orchestration/test_airflow_tasks.py",),
        must_kill=True,
    ),
    Mutant(
        "scheduled run reads the params.yaml left",
        "orchestration/config.py",
        "    if overrides or from_conf:\n",
        "    if overrides:\n",
        ("tests/orchestration/test_airflow_tasks.py",),
        must_kill=True,
    ),
    Mutant(
        "prefect publish run reads the params.yaml left",
        "orchestration/prefect_flow.py",
        "from_conf=publish_results)",
        "from_conf=False)",
        ("tests/orchestration/test_prefect_flow.py",),
        must_kill=True,
    ),
    Mutant(
        "bootstrap AUC ties count whole",
        "ml_pipeline/evaluation/intervals.py",
        '        wins -= np.einsum("gb,gb->b", pos, neg) / 2  # a tie counts half\n',
        "",
        ("tests/evaluation/test_intervals.py",),
        must_kill=True,
    ),
    Mutant(
        "bootstrap resamples ignore the seed",
        "ml_pipeline/evaluation/intervals.py",
        "rng = np.random.default_rng(seed)",
        "rng = np.random.default_rng(0)",
        ("tests/evaluation/test_intervals.py",),
        must_kill=True,
    ),
    Mutant(
        "evaluate writes no intervals",
        "stages/evaluate.py",
        "    metrics |= intervals(scored, params.seed)",
        "    pass",
        ("tests/project/test_smoke.py",),
        must_kill=True,
    ),
    Mutant(
        "conservative bound is the good end",
        "ml_pipeline/core/gate_config.py",
        'lower if self.direction == "higher" else upper',
        'upper if self.direction == "higher" else lower',
        ("tests/registry/test_promotion.py",),
        must_kill=True,
    ),
    Mutant(
        "conservative bound ignored",
        "ml_pipeline/registry/promotion.py",
        '"observed": metrics[t.gated()],\n            "passed": metrics[t.gated()] is None\n'
        "            or at_least(metrics[t.gated()], t.value, t.direction),",
        '"observed": metrics[t.gated()],\n            "passed": metrics[t.metric] is None\n'
        "            or at_least(metrics[t.metric], t.value, t.direction),",
        ("tests/registry/test_promotion.py",),
        must_kill=True,
    ),
    Mutant(
        "cost memory in kilobytes",
        "ml_pipeline/core/cost.py",
        '"peak_memory_mb": round(kib / 1024, 1)',
        '"peak_memory_mb": round(kib, 1)',
        ("tests/core/test_cost.py",),
        must_kill=True,
    ),
    Mutant(
        "train tags no host",
        "stages/train.py",
        "    tags |= host_tags()",
        "    pass",
        ("tests/tracking/test_host.py",),
        must_kill=True,
    ),
    Mutant(
        "model card lists bounds as metrics",
        "ml_pipeline/registry/model_card.py",
        'if not name.startswith("cv_") and not name.endswith(INTERVAL_SUFFIXES):',
        'if not name.startswith("cv_"):',
        ("tests/tracking/test_mlflow_view.py",),
        must_kill=True,
    ),
    Mutant(
        "unfinished version taken as registered",
        "ml_pipeline/registry/promotion.py",
        "    return bool(aliases) or ALIAS_TAG in tags\n",
        "    return True\n",
        ("tests/registry/test_promotion.py", "tests/registry/test_registry_state.py"),
    ),
    Mutant(
        "registration never marked finished",
        "stages/register.py",
        "                client.set_model_version_tag(name, created, tag, text)\n",
        "                pass\n",
        ("tests/registry/test_registry_state.py",),
    ),
    Mutant(
        "re-run reports the alias at registration",
        "ml_pipeline/registry/promotion.py",
        "    version, alias = candidate.registered_as, held_alias(candidate)\n",
        "    version, alias = candidate.registered_as, candidate.decided\n",
        ("tests/registry/test_promotion.py", "tests/registry/test_registry_state.py"),
    ),
    Mutant(
        "rejected run forgets the champion",
        "ml_pipeline/registry/promotion.py",
        "return Registration(REJECTED, reasons, None, None, kept, kept, **common)",
        "return Registration(REJECTED, reasons, None, None, None, None, **common)",
        ("tests/registry/test_promotion.py", "tests/registry/test_registry_state.py"),
    ),
    Mutant(
        "rejected run creates the registered model",
        "stages/register.py",
        "current_champion(client, name, create=False)",
        "current_champion(client, name)",
        ("tests/registry/test_registry_state.py",),
    ),
    Mutant(
        "a registered run rejected on a re-run forgets its version",
        "stages/register.py",
        "                candidate = registered_before(client, name, candidate)\n",
        "",
        ("tests/registry/test_registry_state.py",),
        must_kill=True,
    ),
    Mutant(
        "a server down while re-scoring the champion makes a challenger",
        "stages/register.py",
        "        if is_transient(exc):  # a server that did not answer decides nothing",
        "        if False:  #",
        ("tests/registry/test_register.py",),
        must_kill=True,
    ),
    Mutant(
        "a server down while resuming the run is a missing run",
        "ml_pipeline/tracking/session.py",
        "                if is_transient(exc):  # the server is down, not the run gone",
        "                if False:  #",
        ("tests/tracking/test_store_faults.py",),
        must_kill=True,
    ),
    Mutant(
        "a command leaves orphans RUNNING",
        "commands/reproduce.py",
        "    reconcile_store(store, client)",
        "    pass",
        ("tests/tracking/test_orphans.py",),
    ),
    Mutant(
        "make suite ignores the file's delimiter",
        "ml_pipeline/validation/draft.py",
        '    return best if first.count(best) else ","\n',
        '    return ","\n',
        ("tests/validation/test_datadraft.py",),
        must_kill=True,
    ),
    Mutant(
        "conformal rank without the +1 of split conformal",
        "ml_pipeline/evaluation/conformal.py",
        "    rank = math.ceil((count + 1) * level - EPSILON)",
        "    rank = math.ceil(count * level - EPSILON)",
        ("tests/evaluation/test_conformal.py",),
        must_kill=True,
    ),
    Mutant(
        "conformal calibrates on every walk-forward fold",
        "ml_pipeline/evaluation/conformal.py",
        "    used = folds[-math.ceil(share * len(folds)) :] if share is not None else folds",
        "    used = folds",
        ("tests/evaluation/test_conformal.py",),
        must_kill=True,
    ),
    Mutant(
        "train ignores the time order for the interval",
        "stages/train.py",
        "        share = params.interval.walk_forward_share if data.time_column else None",
        "        share = None",
        ("tests/evaluation/test_conformal.py",),
        must_kill=True,
    ),
    Mutant(
        "interval coverage excludes the bounds",
        "ml_pipeline/evaluation/conformal.py",
        "inside = len(actual), int(((actual >= lower) & (actual <= upper)).sum())",
        "inside = len(actual), int(((actual > lower) & (actual < upper)).sum())",
        ("tests/evaluation/test_conformal.py",),
        must_kill=True,
    ),
    Mutant(
        "CV residuals of the wrong sign",
        "ml_pipeline/modeling/cv.py",
        "        residuals[test_index] = truth.to_numpy(dtype=float) - predicted",
        "        residuals[test_index] = predicted - truth.to_numpy(dtype=float)",
        ("tests/modeling/test_cv.py",),
        must_kill=True,
    ),
    Mutant(
        "the saved model loses its interval",
        "ml_pipeline/tracking/model_save.py",
        '    if interval is not None:\n        kwargs["metadata"]',
        '    if interval is None:\n        kwargs["metadata"]',
        ("tests/serving/test_predict.py",),
        must_kill=True,
    ),
    Mutant(
        "make predict swaps the interval's bounds",
        "commands/predict.py",
        "            out[conformal.LOWER], out[conformal.UPPER] = lower, upper",
        "            out[conformal.LOWER], out[conformal.UPPER] = upper, lower",
        ("tests/serving/test_predict.py",),
        must_kill=True,
    ),
    Mutant(
        "the server swaps the interval's bounds",
        "ml_pipeline/serving/app.py",
        "    lower, upper = [v - half for v in predictions], [v + half for v in predictions]",
        "    lower, upper = [v + half for v in predictions], [v - half for v in predictions]",
        ("tests/serving/test_serving.py",),
        must_kill=True,
    ),
    Mutant(
        "CV scores other predictions than its residuals",
        "ml_pipeline/modeling/cv.py",
        "        fold = Predictions(predicted)",
        "        fold = Predictions(predicted + 1.0)",
        ("tests/modeling/test_cv.py",),
        must_kill=True,
    ),
    Mutant(
        "the health probe sends no credentials",
        "ml_pipeline/tracking/store.py",
        "headers=_auth_headers(store.tracking_uri)",
        "headers={}",
        ("tests/tracking/test_store.py",),
        must_kill=True,
    ),
    Mutant(
        "a refused token reads as a server down",
        "ml_pipeline/tracking/store.py",
        "        if exc.code in (401, 403):",
        "        if False:",
        ("tests/tracking/test_store.py",),
        must_kill=True,
    ),
    Mutant(
        "a batch is appended to the training data twice",
        "orchestration/append.py",
        "    todo = [b for b in batches if b not in done]",
        "    todo = list(batches)",
        ("tests/orchestration/test_nightly.py",),
        must_kill=True,
    ),
    Mutant(
        "unlabelled rows are appended to the training data",
        "orchestration/append.py",
        "    return frame.loc[frame[data.target].notna(), columns]",
        "    return frame.loc[:, columns]",
        ("tests/orchestration/test_nightly.py",),
        must_kill=True,
    ),
    Mutant(
        "a DVC-tracked dataset is versioned in Git",
        "orchestration/append.py",
        '                if (repo / t.with_name(f"{t.name}.dvc")).is_file()',
        "                if False",
        ("tests/orchestration/test_nightly.py",),
        must_kill=True,
    ),
    Mutant(
        "the nightly flow publishes on ok",
        "orchestration/nightly.py",
        "        return self.decision is None or bool(self.appended and self.appended.files)",
        "        return True",
        ("tests/orchestration/test_nightly.py",),
        must_kill=True,
    ),
    Mutant(
        "an open /health lets a refused token pass",
        "ml_pipeline/tracking/store.py",
        "        if exc.code in {401, 403}:",
        "        if False:",
        ("tests/tracking/test_store.py",),
        must_kill=True,
    ),
]


def copy_repository(dest: Path) -> None:
    """The files git knows (tracked and untracked, not ignored), as they are in the work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def pytest(args: list[str], copy: Path) -> subprocess.CompletedProcess[str]:
    """Run pytest in the copy, one thread per library, no bytecode written."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=copy, env=env, capture_output=True, text=True
    )


def check_unmutated(chosen: list[Mutant], copy: Path) -> None:
    """Every test file of the chosen mutants passes on the unmutated copy, in one pytest run:
    a mutant "killed" by a test that already fails is no evidence."""
    files = sorted({test for mutant in chosen for test in mutant.tests})
    started = time.monotonic()
    result = pytest([*UNMUTATED, *files], copy)
    if result.returncode != 0:
        failing = sorted(
            {
                line.split()[1].split("::")[0]
                for line in result.stdout.splitlines()
                if line.startswith(("FAILED ", "ERROR ")) and len(line.split()) > 1
            }
        )
        named = ", ".join(failing) or f"pytest exit {result.returncode} on {', '.join(files)}"
        print(f"mutants: fails without any mutation, fix it first: {named}", file=sys.stderr)
        raise SystemExit(2)
    seconds = time.monotonic() - started
    print(f"unmutated: {len(files)} test files pass ({seconds:.1f} s)", flush=True)


def killed(mutant: Mutant, copy: Path) -> tuple[bool, float]:
    """Apply the mutant, run its tests, restore the module; True when a test failed."""
    module = copy / mutant.module
    original = module.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"mutants: {mutant.name}: snippet not found once in {mutant.module}")
    module.write_text(original.replace(mutant.old, mutant.new))
    started = time.monotonic()
    try:
        result = pytest([*FAST, *mutant.tests], copy)
    finally:
        module.write_text(original)
    if result.returncode not in (0, 1):
        raise SystemExit(
            f"mutants: {mutant.name}: pytest exited {result.returncode}\n{result.stdout}"
        )
    return result.returncode == 1, time.monotonic() - started


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or any(a in m.name for a in argv)]
    if not chosen:
        raise SystemExit(f"mutants: no mutant's name contains {' or '.join(map(repr, argv))}")
    survivors: list[Mutant] = []
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        copy = Path(tmp)
        copy_repository(copy)
        check_unmutated(chosen, copy)
        for mutant in chosen:
            dead, seconds = killed(mutant, copy)
            if not dead:
                survivors.append(mutant)
            status = "killed  " if dead else "SURVIVED"
            print(f"{status} {mutant.name:<40} {mutant.module:<22} {seconds:5.1f} s", flush=True)
    print(f"mutants: {len(chosen) - len(survivors)} killed, {len(survivors)} survived")
    for mutant in survivors:
        print(f"  survived: {mutant.name} ({mutant.module}; ran {', '.join(mutant.tests)})")
    return 1 if any(m.must_kill for m in survivors) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
