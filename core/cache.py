"""Django's Redis cache backend, keeping its Redis client objects instead of building one per call.

Django's ``RedisCacheClient.get_client`` creates a new ``redis.Redis`` object around the connection pool for
every cache operation, and redis-py fills each new object's table of response parsers: a staff page spent more
time building that object for its session read than Redis took to answer. A ``redis.Redis`` object is safe to
share between threads (every command takes a connection from the pool), and the pool opens new connections in a
forked process, so one object per server is kept for the life of the backend.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)  # the first server for writes, a random reader else
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self):
        return RedisCacheClient(self._servers, **self._options)
