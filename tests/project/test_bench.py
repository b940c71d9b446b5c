"""`make bench`'s own measuring helpers (the figures themselves are not tested)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from benchmarks.bench import tree_rss


def test_tree_rss_counts_a_process_and_its_children() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while (counted := tree_rss(parent.pid))[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        processes, rss = counted
        assert processes == 2 and rss > 1.0
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
