#!/usr/bin/env bash
# Exit 0 when the MLflow server answers /health, 1 otherwise.
#   deploy/healthcheck.sh [URL]   (default: $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000)
set -euo pipefail
url="${1:-${MLFLOW_TRACKING_URI:-http://127.0.0.1:5000}}"
# Never print a password: scheme://user:secret@host -> scheme://user:***@host
shown=$(printf '%s' "$url" | sed -E 's#^([a-z+]+://[^:/@]*):[^@/]*@#\1:***@#')
if curl --silent --fail --max-time 5 "${url%/}/health" >/dev/null; then
  echo "MLflow server at $shown is healthy"
else
  echo "MLflow server at $shown is not answering ${shown%/}/health" >&2
  exit 1
fi
