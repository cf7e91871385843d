"""The user's scope kept between requests, and when it goes stale.

`access.scope_of` costs two queries; the shared cache (settings.FENGQIAO_SCOPE_CACHE, the alias
of a cache every process shares, e.g. Redis) turns that into one cache read. An entry is valid
while two version tokens are what they were when it was computed:
  the user's token   bumped when the user is put on or taken off a place (the permission rows,
                     admin included) or joins or leaves a group;
  the map's token    bumped when any place or link between places is saved or deleted (admin,
                     the places workbook, anything that saves a model) or a group is renamed.
Tokens are random, not counters: a token evicted from the cache comes back as a new one, so
no entry computed before can match it.

Only committed data is cached and tokens move on commit: inside a transaction of the app's own
the cache is neither read nor written (the transaction may have changed places the cache does
not know of yet), and a bump is deferred to the commit (a reader that computed a scope before
the commit stored it under the old token). Without a shared cache (the default: per-process
memory cannot be invalidated across gunicorn workers) every request computes its scope.
"""

import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction

ENTRY_SECONDS = 60 * 60
_MAP = "fq:scope:map"


def _user_key(user_id) -> str:
    return f"fq:scope:user:{user_id}"


def _entry_key(user_id) -> str:
    return f"fq:scope:entry:{user_id}"


def _cache():
    alias = getattr(settings, "FENGQIAO_SCOPE_CACHE", "")
    return caches[alias] if alias else None


def in_own_transaction() -> bool:
    """Inside a transaction the app opened (a test case's wrapping transaction does not count,
    as for Django's durable blocks)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not block._from_testcase for block in blocks)


def remember(user_id, compute):
    """The cached value for the user if both tokens still match, else `compute()` (stored
    with the tokens read before computing it)."""
    cache = _cache()
    if cache is None or in_own_transaction():
        return compute()
    keys = [_MAP, _user_key(user_id), _entry_key(user_id)]
    found = cache.get_many(keys)
    tokens = []
    for key in keys[:2]:
        token = found.get(key)
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(key, token, None):  # somebody else set it first
                token = cache.get(key)
        tokens.append(token)
    entry = found.get(keys[2])
    if entry is not None and list(entry[:2]) == tokens:
        return entry[2]
    value = compute()
    if not in_own_transaction():
        cache.set(keys[2], (*tokens, value), ENTRY_SECONDS)
    return value


class _Bump:
    """Move one token on commit. A transaction that changes a thousand places (the places
    workbook) moves the map's token once: an equal bump still pending is not added again."""

    def __init__(self, key: str):
        self.key = key
        self.done = False

    def __call__(self):
        self.done = True
        cache = _cache()
        if cache is not None:
            cache.set(self.key, uuid.uuid4().hex, None)


def _bump(key: str) -> None:
    if _cache() is None:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block and any(
        isinstance(func, _Bump) and func.key == key and not func.done
        for _ids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_Bump(key))


def user_changed(user_id) -> None:
    """The user's places or groups changed: their cached scope is stale once this commits."""
    _bump(_user_key(user_id))


def map_changed() -> None:
    """A place or a link between places changed: every cached scope is stale once this commits."""
    _bump(_MAP)


# Signal receivers (connected in grids/apps.py): writes that bypass the services, such as the
# admin's, must invalidate too. They only move tokens; no rule lives here.


def on_place_saved_or_deleted(sender, **kwargs):
    map_changed()


def on_permission_saved_or_deleted(sender, instance, **kwargs):
    user_changed(instance.user_id)


def on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        user_changed(instance.pk)
    elif pk_set:
        for user_id in pk_set:
            user_changed(user_id)
    else:  # a group emptied: whose it was is no longer known
        map_changed()
