"""Reference data that nearly every page reads and administrators rarely change, kept in each
process for at most `KEEP_SECONDS` instead of a query a page: the streets' names of the top bar
(grids.context_processors), the warning thresholds and the local calendar (cases: WarningSettings,
LocalDay).

A save or delete of any of them (the admin included; receivers connected in the apps' ready())
forgets everything kept at once in the process that made it, and again when its transaction
commits; the other processes of a deployment reread within `KEEP_SECONDS`. A value loaded inside
a transaction of the app's own is not kept (that transaction may change it and roll back), as for
the scope (grids.scope_cache). Kept values are shared between requests: read them, never change
them."""

import threading
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .scope_cache import in_own_transaction

KEEP_SECONDS = 60

_kept: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def kept[T](key: str, load: Callable[[], T]) -> T:
    """The value kept under `key`, loaded with `load()` when missing or older than KEEP_SECONDS
    (and kept only when loaded outside the app's own transactions)."""
    now = time.monotonic()
    with _lock:
        hit = _kept.get(key)
    if hit is not None and now - hit[0] < KEEP_SECONDS:
        return hit[1]
    value = load()
    if not in_own_transaction():
        with _lock:
            _kept[key] = (now, value)
    return value


def forget() -> None:
    """Drop everything kept (this process)."""
    with _lock:
        _kept.clear()


def forget_on_changes_to(*models, through=()) -> None:
    """Connect `forget_on_change` to the saves and deletes of `models` and the changes of the
    many-to-many tables `through` (called from the apps' ready())."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(forget_on_change, sender=model, dispatch_uid=f"reference-{model.__name__}-{id(signal)}")
    for table in through:
        m2m_changed.connect(forget_on_change, sender=table, dispatch_uid=f"reference-{table.__name__}")


def forget_on_change(sender, **kwargs) -> None:
    """Signal receiver (post_save, post_delete, m2m_changed): forget now (readers in this
    transaction see the change) and once the change commits (a reader that cached the old value
    meanwhile does not keep it); once per transaction, however many rows change."""
    if not kwargs.get("action", "post_").startswith("post_"):  # m2m_changed's pre_add etc.
        return
    forget()
    connection = transaction.get_connection()
    if not (connection.in_atomic_block and any(func is forget for _ids, func, _robust in connection.run_on_commit)):
        transaction.on_commit(forget)
