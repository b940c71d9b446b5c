"""MLflow commands of this repository (`make mlflow-ui`, `make serve`).

python -m commands.mlflow_cli env     print `export MLFLOW_TRACKING_URI=...` for a shell
python -m commands.mlflow_cli ui      browse the store on 127.0.0.1:5000 (or print the server's URL)
python -m commands.mlflow_cli serve   serve `models:/<registered_model>@champion` on 127.0.0.1
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ml_pipeline.core.errors import entry_point
from ml_pipeline.registry.promotion import champion_uri
from ml_pipeline.tracking.session import reconcile_store
from ml_pipeline.tracking.store import configure_env, resolve_store, without_credentials

UI_HOST, UI_PORT = "127.0.0.1", 5000
# MLflow's job runner (8 huey processes, ~1.9 GB) serves GenAI jobs this repository never runs;
# one worker is plenty for one person's browser. Together: 2 processes, ~0.55 GB instead of ~2.6.
UI_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def ui_command(tracking_uri: str, port: int = UI_PORT) -> list[str]:
    """`mlflow ui` on the local store with one worker (run it with UI_ENV)."""
    return [
        "mlflow", "ui", "--backend-store-uri", tracking_uri,
        "-h", UI_HOST, "-p", str(port), "--workers", "1",
    ]  # fmt: skip


def _params() -> Any:
    from ml_pipeline.core import paths
    from ml_pipeline.core.config import load_params

    return load_params(paths.PARAMS)


@entry_point("mlflow")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MLflow settings of this repository")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print export lines for the tracking store")
    ui = sub.add_parser(
        "ui", help="browse the store: `mlflow ui` on 127.0.0.1:5000, or the server's URL"
    )
    ui.add_argument("--port", type=int, default=UI_PORT)
    serve = sub.add_parser(
        "serve", help="serve the champion (MLflow's scoring app, ml_pipeline/serving/app.py)"
    )
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5001")))
    serve.add_argument("--model-uri", default=None)
    args = parser.parse_args(argv)
    configure_env()
    store = resolve_store()
    if args.command == "env":
        print(f"export MLFLOW_TRACKING_URI={store.tracking_uri}")
        return 0
    if args.command == "ui":
        from ml_pipeline.tracking.ui import ui_address

        local = f"http://{UI_HOST}:{args.port}"
        base = without_credentials(store.tracking_uri) if store.is_server else local
        page = ui_address(store.tracking_uri, _params().tracking.experiment, base)
        if store.is_server:
            print(f"runs and models are on the tracking server: open {page}")
            return 0
        print(f"open {page}", file=sys.stderr)
        command = ui_command(store.tracking_uri, args.port)
        os.environ.update(UI_ENV)
    else:
        uri = args.model_uri or champion_uri(_params().tracking.registered_model)
        # MLflow's scoring app, with readable 4xx answers (ml_pipeline/serving/app.py)
        command = [sys.executable, "-m", "ml_pipeline.serving.app", uri, "--port", str(args.port)]
        os.environ["MLFLOW_TRACKING_URI"] = store.tracking_uri
        print(" ".join(command), file=sys.stderr)
    reconcile_store(store)  # runs of killed stages (`dvc repro` may have connected to nothing)
    os.execvp(command[0], command)


if __name__ == "__main__":
    raise SystemExit(main())
