"""A Redis cache that keeps the forum working when Redis is away.

The cache holds rate-limit counters and nothing that must not be lost. When
Redis does not answer, reads miss and writes are dropped (rate limits fail
open for that moment) instead of turning every page into an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_last_warning = 0.0


def _tolerant(fallback: Callable[..., Any]):
    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as error:
                if not _is_connection_error(error):
                    raise
                global _last_warning
                if time.monotonic() - _last_warning > 30:
                    _last_warning = time.monotonic()
                    logger.warning("Cache unavailable (%s); carrying on without it", error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _is_connection_error(error: Exception) -> bool:
    import redis

    return isinstance(error, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))


class ResilientRedisCache(RedisCache):
    get = _tolerant(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _tolerant(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _tolerant(lambda key, version=None: False)(RedisCache.has_key)
    add = _tolerant(lambda *args, **kwargs: True)(RedisCache.add)
    set = _tolerant(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _tolerant(lambda *args, **kwargs: [])(RedisCache.set_many)
    touch = _tolerant(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _tolerant(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _tolerant(lambda *args, **kwargs: None)(RedisCache.delete_many)
    incr = _tolerant(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    clear = _tolerant(lambda: None)(RedisCache.clear)

    def _count_window(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        """Count one more use of `key` (kept `timeout` seconds) and read `previous_key`'s
        count, in one round trip (add, incr and get took three)."""
        if len(self._servers) != 1:  # the two keys may live on different servers
            if not self.add(key, 1, timeout=timeout):
                return self.incr(key), self.get(previous_key) or 0
            return 1, self.get(previous_key) or 0
        key = self.make_and_validate_key(key)
        previous_key = self.make_and_validate_key(previous_key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)  # a new window's counter, with its expiry
        pipe.incr(key)
        pipe.get(previous_key)
        _created, used, previous = pipe.execute()
        return int(used), int(previous) if previous is not None else 0

    count_window = _tolerant(lambda *args, **kwargs: (1, 0))(_count_window)
