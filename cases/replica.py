"""Which reads may go to the PostgreSQL streaming replica: the mark that pages and code put on
reads that tolerate a few seconds of lag. The database router (`config.db.ReplicaRouter`) reads
it; `config.middleware.ReadYourWritesMiddleware` sends a user who has just written to the primary.

Lag-tolerant: the statistics, the exports, the leaders' ledger and dashboard — figures and lists
nobody has just changed themselves. Everything else (case pages, forms, the workbench, anything
a write is decided on) reads from the primary, always.

It lives in `cases` (not in `config`, beside the router) so that the apps' views can carry it:
`cases`, `incidents`, `mediators` and `stats` may import it, `config` may not be imported by them.
Without a replica configured the mark changes nothing."""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

# Context variables, not thread-locals: each request (thread or async task) has its own.
_lag_tolerant: ContextVar[bool] = ContextVar("fengqiao_lag_tolerant", default=False)
_wrote_recently: ContextVar[bool] = ContextVar("fengqiao_wrote_recently", default=False)


@contextmanager
def replica_reads():
    """Reads inside may go to the replica (when there is one): a few seconds of lag is fine."""
    token = _lag_tolerant.set(True)
    try:
        yield
    finally:
        _lag_tolerant.reset(token)


@contextmanager
def primary_reads(wrote_recently: bool = True):
    """The user behind this work wrote something moments ago: every read goes to the primary,
    even inside `replica_reads()`, so they see what they wrote (read-your-writes)."""
    token = _wrote_recently.set(wrote_recently)
    try:
        yield
    finally:
        _wrote_recently.reset(token)


def replica_allowed() -> bool:
    """Whether the reads being made now may go to a replica (the router also needs one)."""
    return _lag_tolerant.get() and not _wrote_recently.get()


def lag_tolerant(view):
    """Mark a view whose reads tolerate a few seconds of replication lag (see the module)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        # Who is asking comes from the primary, before the mark: a session or account changed a
        # moment ago may not have reached the replica yet. (LoginRequiredMiddleware has already
        # loaded them for signed-in pages; this covers the rest.)
        request.user.is_authenticated  # evaluates the lazy user now
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped
