"""What people see of monitoring: `make monitor` (one line per batch and the decision, after
`dvc repro monitor`) and `make profile DATA=<name>` (the data profile of a dataset's training
data, as the monitoring report shows its reference).

python -m commands.monitor summary
python -m commands.monitor profile NAME
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import publish, read_json
from ml_pipeline.monitoring.report import profile_page
from ml_pipeline.monitoring.summary import batch_line


def summary() -> list[str]:
    """One line per batch of reports/monitor_history.csv, then the decision and its reasons."""
    table = pd.read_csv(paths.MONITOR_HISTORY)
    decision = read_json(paths.MONITOR_DECISION)
    lines = [batch_line(row) for row in table.to_dict("records")]
    version = decision.get("champion_version")
    shown = f" (champion v{version})" if version else ""
    lines.append(f"decision: {decision['decision']}{shown}: {'; '.join(decision['reasons'])}")
    return lines


def profile(name: str, out_dir: Path = paths.PROFILE_DIR) -> Path:
    """The training file of conf/data/<name>.yaml, read and cleaned as `prepare` does, profiled
    into <out_dir>/<name>.html."""
    from commands.suite import load_data_config
    from ml_pipeline.data.dataset import check_columns, clean, read_table

    data, _, _ = load_data_config(name)
    source = Path(data.dir) / data.train_file
    raw = read_table(source, data, "data.train_file")
    check_columns(raw, data, source)
    table, _ = clean(raw, data)
    categorical = [*data.categorical, *data.ordinal]
    numeric = list(data.numeric)
    (numeric if data.task == "regression" else categorical).append(data.target)
    title = f"Data profile: {name} ({source})"
    page = profile_page(title, table, numeric, categorical)
    out = out_dir / f"{name}.html"
    publish({out: lambda p: p.write_text(page)})
    return out


@entry_point("monitor")
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m commands.monitor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("summary", help="one line per batch and the decision")
    named = commands.add_parser("profile", help="the data profile of conf/data/NAME.yaml")
    named.add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "profile":
        print(f"profile: wrote {profile(args.name)}")
    else:
        print("\n".join(summary()))


if __name__ == "__main__":
    raise SystemExit(main())
