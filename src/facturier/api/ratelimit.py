"""Requests per API key in a fixed window, counted in the shared cache (the database cache by default,
Redis when FACTURIER_CACHE_URL names one), so every process counts the same key together.

FACTURIER_API_RATE_LIMIT requests per FACTURIER_API_RATE_WINDOW seconds (600 per 60 by default);
past it, 429 with Retry-After (seconds to the window's end).

Each process adds its requests to the shared count in small batches (a fiftieth of the limit, one
request at a time for limits under 100): on the database cache a write costs a commit, and one per
request would cost more than the request. A key may so exceed its limit by at most that batch per
process before every process refuses it.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings
from django.core.cache import cache

_lock = threading.Lock()
_windows: dict[str, list[int]] = {}  # cache key → [shared count last read, requests not yet added]


def _add(name: str, delta: int, window: int) -> int:
    try:
        return cache.incr(name, delta)
    except ValueError:  # the window's first batch
        return delta if cache.add(name, delta, window + 1) else cache.incr(name, delta)


def wait_for(key_id: str) -> int | None:
    """Count one request of the key: None when allowed, else the seconds to wait."""
    limit = settings.FACTURIER_API_RATE_LIMIT
    window = settings.FACTURIER_API_RATE_WINDOW
    batch = max(1, limit // 50)
    now = time.time()
    start = int(now // window) * window
    name = f"api:rate:{key_id}:{start}"
    with _lock:
        state = _windows.get(name)
        if state is None:
            for old in [k for k in _windows if not k.endswith(f":{start}")]:
                del _windows[old]
            state = _windows[name] = [0, 0]
        state[1] += 1
        delta = state[1] if state[1] >= batch else 0
        if delta:
            state[1] = 0
        count = state[0] + state[1]
    if delta:
        shared = _add(name, delta, window)
        with _lock:
            state[0] = shared
            count = state[0] + state[1]
    if count > limit:
        return max(1, math.ceil(start + window - now))
    return None
