"""Requests per API key in a fixed window, counted in the shared cache (the database cache by default,
Redis when FACTURIER_CACHE_URL names one), so every process counts the same key together.

FACTURIER_API_RATE_LIMIT requests per FACTURIER_API_RATE_WINDOW seconds (600 per 60 by default);
past it, 429 with Retry-After (seconds to the window's end).
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache


def wait_for(key_id: int) -> int | None:
    """Count one request of the key: None when allowed, else the seconds to wait."""
    limit = settings.FACTURIER_API_RATE_LIMIT
    window = settings.FACTURIER_API_RATE_WINDOW
    now = time.time()
    start = int(now // window) * window
    name = f"api:rate:{key_id}:{start}"
    if cache.add(name, 1, window + 1):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, window + 1)
            count = 1
    if count > limit:
        return max(1, math.ceil(start + window - now))
    return None
