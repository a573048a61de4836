"""A child process kept running: `facturier run` restarts its task worker when it dies.

The worker's own start recovers what the dead one held (`facturier.config.leases`), so a
restart is all a crash needs. Restarts back off (1 s, doubling up to 30 s) while the child
keeps dying at once, and start again from 1 s once it has stayed up a minute.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
HEALTHY_AFTER_S = 60.0


class Supervised:
    """Start `command`, and start it again whenever it exits, until `stop()`."""

    def __init__(self, command: Sequence[str], *, name: str = "worker", poll_s: float = 0.5):
        self.command = list(command)
        self.name = name
        self.poll_s = poll_s
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process = subprocess.Popen(self.command)
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _watch(self) -> None:
        delay = FIRST_DELAY_S
        started = time.monotonic()
        while not self._stopping.wait(self.poll_s):
            code = self.process.poll()
            if code is None:
                continue
            if time.monotonic() - started >= HEALTHY_AFTER_S:
                delay = FIRST_DELAY_S
            log.warning("the %s stopped (exit code %s); starting it again in %.0f s", self.name, code, delay)
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = subprocess.Popen(self.command)
            self.restarts += 1
            started = time.monotonic()
            delay = min(delay * 2, MAX_DELAY_S)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop supervising, then stop the child (SIGTERM, then SIGKILL after `timeout`)."""
        with self._lock:
            self._stopping.set()
        self._thread.join(timeout=5)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def interrupt_on_stop_signals() -> None:
    """Make SIGTERM and SIGINT raise KeyboardInterrupt in this process, so a serving command stops cleanly
    whichever it is sent — even when SIGINT arrives ignored (a process started in the background by a
    non-interactive shell inherits SIGINT ignored, and Python then never raises KeyboardInterrupt)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, interrupt)
