"""Container health check: exit 0 when the MLflow server on this host answers /health."""

import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:5000/health", timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
