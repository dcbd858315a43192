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
