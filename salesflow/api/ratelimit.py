"""Per-token rate limit: a fixed one-minute window counted in Django's cache.

The default cache is process-local memory, so each web process counts on its own; with several
processes put the cache in Redis (``CACHES`` with Django's Redis backend) so that they share
one counter. The limit is the setting ``api.rate_limit_per_minute`` (default 120).
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache

from salesflow.core.settings_registry import get_setting

WINDOW_SECONDS = 60


def hit(bucket: str, *, limit: int | None = None, now: float | None = None) -> int | None:
    """Count one request in ``bucket``'s current window. None if allowed, else the seconds
    to wait until the next window opens."""
    limit = get_setting("api.rate_limit_per_minute") if limit is None else limit
    now = time.time() if now is None else now
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    key = f"sf:api:rate:{bucket}:{window_start}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil(window_start + WINDOW_SECONDS - now))
    return None
