"""A user who loses a race: somebody else's change made the step unavailable between the page
and the post (closed or reopened the case, took it out of mediation, recorded the agreement or
the follow-up visit first). What was typed is shown back, read-only (cases.views.case
`kept_input`); the message says who changed the case and when; the answer is 409 — never a
redirect that drops the input, never a 403 for a right the user had when the form was rendered.

Access does not loosen: outsiders still get 404 (get_case_for), and a race is lost only by
someone holding a role that may take the step in some state (permissions.may_when_open) —
anyone else gets 403. A form that carries the version of the case it was rendered for (a
hidden `version`, as the transition forms do) is held to it: rendered for the version the
case still has, the step was not offered then either, so that is a 403 too. A post without a
version is given the benefit of the doubt."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from ..choices import EventKind
from .case import id_from


def seen_version(request, prefix: str = "") -> int | None:
    """The version of the case the posted form was rendered for, if it carries one."""
    return id_from(request.POST.get(f"{prefix}-version" if prefix else "version"))


def check_lost_race(request, case, action: str, *, prefix: str = "") -> None:
    """For a POST of `action`, which is not possible on `case` now: return if the user lost a
    race; raise PermissionDenied (403) if they never had the right."""
    if not permissions.may_when_open(request.user, action, case):
        raise PermissionDenied
    seen = seen_version(request, prefix)
    if seen is not None and seen >= case.version:
        raise PermissionDenied  # nothing changed since the form was rendered: it never offered this


def last_change(case, *, kind: str = EventKind.TRANSITION, since=None):
    """The timeline event that made the step unavailable: by default the last status change;
    with `since`, the first event of `kind` from then on (the one that recorded that write)."""
    events = case.events.filter(kind=kind).select_related("actor")
    if since is not None:
        return events.filter(at__gte=since).order_by("at", "id").first()
    return events.order_by("-at", "-id").first()


def message(case, step, *, who=None, when=None, event=None) -> str:
    """What the loser reads: who changed the case and when (from `event`, or else the last
    status change), and that what they typed is shown, not saved."""
    if who is None:
        event = event or last_change(case)
        if event is not None:
            who, when = event.actor, event.at
    if who is None:
        return _("“%(step)s” is not possible for you on this case now (it is “%(state)s”). "
                 "What you typed is shown below.") % {"step": step, "state": case.get_state_display()}
    return _("“%(step)s” is no longer possible: %(who)s changed this case at %(when)s. "
             "What you typed is shown below; it was not saved.") % {
        "step": step, "who": who.get_full_name() or who.get_username(),
        "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
    }

