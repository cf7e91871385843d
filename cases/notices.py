"""Notifications: one row per recipient, never for someone who may not see what it is about.

`notify` is the only writer. Its `key` makes each notice idempotent (a unique constraint on
recipient and key), so a periodic check that runs twice, or on two workers at once, sends a
reminder once. Recipients who chose e-mail for the kind get it from a background task after
the transaction commits. The title is rendered from the kind in the reader's language; `text`
holds only what a person wrote (a call's message, an instruction).
"""

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.selectors import people_on_grids, people_on_police_grids

from . import permissions
from .choices import CallDirection
from .mailing import send_notice_emails
from .models import NoticePreference, Notification


def _may_see(user, *, case, call) -> bool:
    if not user.is_active:
        return False
    if case is not None:
        return permissions.can(user, "view", case)
    if call is not None:
        return permissions.may_see_call(user, call)
    return True


def notify(*, recipients, kind: str, key: str, case=None, call=None, text: str = "") -> int:
    """Notify each recipient who may see `case` / `call` (once per key). Returns how many were
    new. Call inside the transaction of the change it reports."""
    rows = [Notification(recipient=user, kind=kind, case=case, call=call, text=text[:300], key=key[:120])
            for user in {u.pk: u for u in recipients if u is not None}.values()
            if _may_see(user, case=case, call=call)]
    if not rows:
        return 0
    before = Notification.objects.filter(key=key[:120], recipient__in=[r.recipient for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if NoticePreference.objects.filter(user__in=[r.recipient for r in rows], kind=kind, email=True).exists():
        transaction.on_commit(lambda: send_notice_emails.enqueue())
    return len(rows) - before


def answerers_of(call) -> list:
    """The other side of a call on its grid: the police covering it, or its grid workers."""
    if call.direction == CallDirection.GRID_TO_POLICE:
        police_grids = list(call.grid.police_links.values_list("police_grid_id", flat=True))
        return [u for users in people_on_police_grids(police_grids).values() for u in users]
    return people_on_grids([call.grid_id]).get(call.grid_id, [])


# The bell's number read with the user (cases.backends), as of the start of the request.
_UNREAD = "unread_notices"


def with_unread_count(users):
    """`users` annotated with each one's unread count, so that the page's user brings the bell's
    number with it instead of costing a query of its own."""
    unread = (Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
              .order_by().values("recipient").annotate(n=Count("pk")).values("n"))
    return users.annotate(**{_UNREAD: Coalesce(Subquery(unread), 0)})


def unread_count(user) -> int:
    """The bell's number: the count read with the user when there is one (no query), else one
    query (a user from authenticate(), or whose count mark_read made stale)."""
    known = getattr(user, _UNREAD, None)
    if known is not None:
        return known
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, notifications=None, call=None) -> int:
    """Mark the user's notices read (all of them, some, or those about a call). The count read
    with the user is then stale: dropped, so a page rendered after this counts again."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notifications is not None:
        qs = qs.filter(pk__in=[n.pk for n in notifications])
    if call is not None:
        qs = qs.filter(call=call)
    if hasattr(user, _UNREAD):
        delattr(user, _UNREAD)
    return qs.update(read_at=timezone.now())


def call_answered(call) -> int:
    """An answered call is done for everyone it was sent to: their notices of it read."""
    return Notification.objects.filter(call=call, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def set_email_choices(*, user, kinds) -> None:
    """The kinds of notice `user` also wants by e-mail (the rest: in the app only)."""
    NoticePreference.objects.filter(user=user).exclude(kind__in=kinds).delete()
    for kind in kinds:  # a kind already chosen keeps its `since`
        NoticePreference.objects.update_or_create(user=user, kind=kind, defaults={"email": True},
                                                  create_defaults={"email": True, "since": timezone.now()})
