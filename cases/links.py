"""Related and merged cases: linking two cases (the same family, the same building's leak),
unlinking them, the linked cases a user may see, and merging a duplicate into the case that
survives. Who may: cases/permissions.py ACTIONS (link_cases, merge_case). Each write is one
transaction and leaves an event on the timeline of both cases.

A merge withdraws the duplicate through cases.workflow.run_transition, the only caller of
transitions: so the duplicate must be in a state it can be withdrawn from, and the actor one
who may withdraw it."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from . import permissions, workflow
from .choices import EventKind
from .errors import StaleCase, WorkflowError
from .models import Attachment, Case, CaseLink, Party
from .timeline import record_event


def _pair(case, other) -> dict:
    """A link's key: stored once per pair, the smaller id first (a constraint says so)."""
    low, high = sorted((case.pk, other.pk))
    return {"case_a_id": low, "case_b_id": high}


def _check_may_link(*, case, other, actor) -> None:
    if case.pk == other.pk:
        raise WorkflowError(_("A case cannot be linked to itself."))
    if not permissions.can(actor, "link_cases", case):
        raise PermissionDenied
    if permissions.visible_cases(actor).filter(pk__in=(case.pk, other.pk)).count() != 2:
        raise PermissionDenied


@transaction.atomic
def link_cases(*, case, other, actor, note: str = "") -> bool:
    """Link `other` to `case`, both cases the actor may see; the actor may link on `case`.
    Idempotent: returns whether a link was made (False when they were already linked). Both
    timelines say so."""
    _check_may_link(case=case, other=other, actor=actor)
    _link, created = CaseLink.objects.get_or_create(**_pair(case, other),
                                                    defaults={"note": note[:200], "created_by": actor})
    if created:
        for one, two in ((case, other), (other, case)):
            record_event(case=one, actor=actor, kind=EventKind.CASES_LINKED, note=note,
                         data={"case_number": two.number})
    return created


@transaction.atomic
def unlink_cases(*, case, other, actor, note: str = "") -> bool:
    """Take the link between two cases away (same rights as linking). A duplicate stays linked
    to the case it was merged into. Returns whether there was a link; both timelines say so."""
    _check_may_link(case=case, other=other, actor=actor)
    if case.merged_into_id == other.pk or other.merged_into_id == case.pk:
        raise WorkflowError(_("A merged case stays linked to the case it was merged into."))
    deleted, _rows = CaseLink.objects.filter(**_pair(case, other)).delete()
    if deleted:
        for one, two in ((case, other), (other, case)):
            record_event(case=one, actor=actor, kind=EventKind.CASES_UNLINKED, note=note,
                         data={"case_number": two.number})
    return bool(deleted)


def linked_cases(user, case):
    """The cases linked to `case` that `user` may see, each with `link_note` (how they are
    related), by number: a queryset (the case page reads it with its other lists)."""
    as_a = CaseLink.objects.filter(case_a=case, case_b=OuterRef("pk")).values("note")[:1]
    as_b = CaseLink.objects.filter(case_b=case, case_a=OuterRef("pk")).values("note")[:1]
    # One IN over a UNION, not two INs joined by OR: with no other filter (an administrator's
    # scope) PostgreSQL would read every case to test the OR.
    linked = CaseLink.objects.filter(case_a=case).values("case_b").union(
        CaseLink.objects.filter(case_b=case).values("case_a"), all=True)
    return (permissions.visible_cases(user).filter(pk__in=linked)
            .annotate(link_note=Coalesce(Subquery(as_a), Subquery(as_b))).order_by("number"))


@dataclass
class Related:
    """The "related cases" card of a case page."""

    cases: list            # linked cases the user may see (see linked_cases)
    merged_into: Case | None  # the case this one was merged into, if the user may see it


def related(case, linked: list) -> Related:
    """What the case page shows of related cases, from the `linked` cases it loaded."""
    survivor = next((c for c in linked if c.pk == case.merged_into_id), None) if case.merged_into_id else None
    return Related(cases=linked, merged_into=survivor)


def merge_blocker(actor, duplicate) -> str:
    """Why `duplicate` cannot be merged into another case by `actor` now ("" if it can): it is
    withdrawn by the merge, so it must be in a state it can be withdrawn from."""
    if not permissions.can(actor, "merge_case", duplicate):
        return _("This case cannot be merged now: it is “%(state)s”.") % {"state": duplicate.get_state_display()}
    if "withdraw" not in permissions.transitions_for(actor, duplicate):
        return _("A case that is already “%(state)s” cannot be merged into another: only a case that can "
                 "still be withdrawn can. Link the two cases instead.") % {"state": duplicate.get_state_display()}
    return ""


@transaction.atomic
def merge_case(*, duplicate, survivor, actor, note: str = "", version: int) -> Case:
    """Merge `duplicate` (at the `version` the actor saw) into `survivor`: the duplicate's
    parties and attachments move to the survivor, the two are linked, and the duplicate is
    withdrawn "merged into …" and points at the survivor. The actor needs merge_case on both.
    Both timelines say so; the survivor's version is bumped (it has new parties). Returns the
    survivor."""
    if duplicate.pk == survivor.pk:
        raise WorkflowError(_("A case cannot be merged into itself."))
    # Both rows locked, always in the same order, so two merges of the same pair cannot
    # deadlock. Only the case rows (PostgreSQL cannot lock the nullable side of a join).
    rows = Case.objects.select_for_update(of=("self",)).filter(pk__in=(duplicate.pk, survivor.pk)).order_by("pk")
    locked = {case.pk: case for case in rows}
    duplicate, survivor = locked[duplicate.pk], locked[survivor.pk]
    if duplicate.version != version:
        raise StaleCase(duplicate, duplicate.events.select_related("actor").order_by("-at", "-id").first())
    if not (permissions.can(actor, "merge_case", duplicate) and permissions.can(actor, "merge_case", survivor)):
        raise WorkflowError(_("Merge only into an open case that you may handle as well."))
    blocker = merge_blocker(actor, duplicate)
    if blocker:
        raise WorkflowError(blocker)

    parties = list(duplicate.parties.values_list("name", flat=True))
    files = list(duplicate.attachments.values_list("original_name", flat=True))
    Party.objects.filter(case=duplicate).update(case=survivor)
    Attachment.objects.filter(case=duplicate).update(case=survivor)
    CaseLink.objects.get_or_create(**_pair(duplicate, survivor), defaults={"note": note[:200], "created_by": actor})
    moved = {"parties": "、".join(parties), "attachments": "、".join(files)}
    record_event(case=duplicate, actor=actor, kind=EventKind.MERGED_INTO, note=note,
                 data={"case_number": survivor.number, **moved})
    record_event(case=survivor, actor=actor, kind=EventKind.MERGED_FROM, note=note,
                 data={"case_number": duplicate.number, **moved})
    survivor.version += 1
    survivor.save(update_fields=["version", "updated_at"])
    # The withdrawal below reloads the row and saves it whole: it keeps this pointer.
    Case.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    # The reason is a field of the case, read by everyone in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Merged into %(number)s") % {"number": survivor.number}
    workflow.run_transition(case_id=duplicate.pk, action="withdraw", actor=actor, version=duplicate.version,
                            changes={"withdrawal_reason": reason})
    return survivor
