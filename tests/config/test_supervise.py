"""`facturier run` keeps its worker running: a child that dies is started again, and stops when told."""

from __future__ import annotations

import os
import signal
import sys
import time

from facturier.config.supervise import Supervised


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_child_killed_with_sigkill_is_started_again_and_stopped_with_its_supervisor():
    supervised = Supervised([sys.executable, "-c", "import time; time.sleep(120)"], poll_s=0.05)
    try:
        first = supervised.pid
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: supervised.pid != first and supervised.process.poll() is None)
        assert supervised.restarts == 1
    finally:
        supervised.stop(timeout=5)
    assert supervised.process.poll() is not None
    time.sleep(0.2)
    assert supervised.restarts == 1  # stopping is not a death to recover from
