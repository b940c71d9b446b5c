#!/usr/bin/env bash
# Start the team's MLflow tracking server without Docker, against an existing PostgreSQL
# database and an S3(-compatible) bucket. Configuration comes from the environment only:
#   MLFLOW_BACKEND_STORE_URI       postgresql+psycopg2://USER:PASSWORD@HOST:5432/DB   (required)
#   MLFLOW_ARTIFACTS_DESTINATION   s3://BUCKET/PREFIX                                 (required)
#   MLFLOW_S3_ENDPOINT_URL         http://HOST:PORT for an S3-compatible store (optional)
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY                                         (required)
#   MLFLOW_HOST (127.0.0.1), MLFLOW_PORT (5000), MLFLOW_WORKERS (2)
#   MLFLOW_SERVER_ENABLE_JOB_EXECUTION (false here: MLflow's job runner serves GenAI scorers and
#     prompt optimisation, which this pipeline does not use, and its 8 worker processes cost
#     ~1.9 GB of RAM; set it to true if you need them)
# The server proxies artifacts: clients need only MLFLOW_TRACKING_URI, no S3 credentials.
set -euo pipefail
: "${MLFLOW_BACKEND_STORE_URI:?set MLFLOW_BACKEND_STORE_URI (postgresql+psycopg2://...)}"
: "${MLFLOW_ARTIFACTS_DESTINATION:?set MLFLOW_ARTIFACTS_DESTINATION (s3://bucket/prefix)}"
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY}"
export MLFLOW_DISABLE_TELEMETRY=true
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
here="$(cd "$(dirname "$0")" && pwd)"
mlflow_bin="${MLFLOW_BIN:-$(command -v mlflow || echo "$here/../.venv/bin/mlflow")}"
# mlflow server reads MLFLOW_BACKEND_STORE_URI and MLFLOW_ARTIFACTS_DESTINATION itself: passing
# them as flags would show the database password in `ps`.
export MLFLOW_BACKEND_STORE_URI MLFLOW_ARTIFACTS_DESTINATION
exec "$mlflow_bin" server \
  --host "${MLFLOW_HOST:-127.0.0.1}" \
  --port "${MLFLOW_PORT:-5000}" \
  --workers "${MLFLOW_WORKERS:-2}"
