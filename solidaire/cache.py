"""The Redis cache, tolerant of Redis being away.

The cache only ever holds what can be computed again (the home's figures, a document's
progress): with Redis stopped or unreachable, a read is a miss and a write is skipped, with
a warning in the log, instead of failing the page with a 500. Submissions and the other
writes live in PostgreSQL and never depend on it.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _tolerant(name, fallback):
    parent = getattr(RedisCacheClient, name)

    def method(self, *args, **kwargs):
        try:
            return parent(self, *args, **kwargs)
        except UNREACHABLE as error:
            log.warning("Cache unreachable (%s: %s): %s skipped", type(error).__name__, error, name)
            return fallback(*args) if callable(fallback) else fallback

    method.__name__ = name
    return method


class TolerantRedisCacheClient(RedisCacheClient):
    get = _tolerant("get", lambda key, default: default)
    get_many = _tolerant("get_many", lambda keys: {})
    has_key = _tolerant("has_key", False)
    add = _tolerant("add", False)
    set = _tolerant("set", None)
    set_many = _tolerant("set_many", lambda data, timeout: [])
    touch = _tolerant("touch", False)
    delete = _tolerant("delete", False)
    delete_many = _tolerant("delete_many", None)


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient


def public_content_seconds():
    """How long the public list of open calls (the home's content, the open calls' page for
    visitors without a centre) is served as rendered: ``HOME_CACHE_SECONDS``; unset, a
    minute at most and never longer than the public figures (0 in tests: rendered each
    time). A call opening or closing shows there that much later; the call's own page and
    the application form check the dates."""
    from django.conf import settings  # noqa: PLC0415

    if settings.HOME_CACHE_SECONDS is not None:
        return settings.HOME_CACHE_SECONDS
    return min(60, settings.PUBLIC_FIGURES_CACHE_SECONDS)
