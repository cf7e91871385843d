"""Reads of the supermarket, in a fixed number of queries however many mediators and cases
there are: a page of the roster (filtered, or ranked for a case) with each mediator's figures
read from her own columns (kept by mediators/services.py; `recount` is their definition)."""

from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest

from cases.choices import OPEN_STATES, State

from .models import Agreement, Mediator, MediatorChoice, Specialty

FINISHED = (State.RESOLVED, State.CLOSED, State.ESCALATED, State.REFERRED)
SUCCEEDED = (State.RESOLVED, State.CLOSED)


def roster():
    """The roster in its order (team, name), with what each card shows prefetched. The figures
    are the mediators' own columns: nothing is counted here."""
    return Mediator.objects.prefetch_related("specialties", "communities").order_by("team", "name", "id")


@dataclass
class Figures:
    open_load: int = 0
    mediated: int = 0
    succeeded: int = 0
    avg_days: float | None = None

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.mediated if self.mediated else None

    @classmethod
    def of(cls, mediator: Mediator) -> "Figures":
        return cls(mediator.open_load, mediator.mediated, mediator.succeeded)


def figures(mediator_ids) -> dict[int, Figures]:
    """Load, cases mediated, successes (the mediators' columns) and average days to agreement
    per mediator. Two queries."""
    result = {m.pk: Figures.of(m) for m in Mediator.objects.filter(pk__in=list(mediator_ids)).only(
        "open_load", "mediated", "succeeded")}
    days = (
        Agreement.objects.filter(mediators__in=result)
        .values("mediators")
        .annotate(avg=Avg(ExpressionWrapper(F("created_at") - F("case__reported_at"),
                                            output_field=DurationField())))
    )
    for row in days:
        if row["avg"] is not None:
            result[row["mediators"]].avg_days = row["avg"].total_seconds() / 86400
    return result


def recount(mediator_ids) -> dict[int, Figures]:
    """The figures counted from the cases themselves (what the columns must equal)."""
    result = {pk: Figures() for pk in mediator_ids}
    rows = (
        MediatorChoice.objects.filter(mediator_id__in=result, active=True)
        .values("mediator_id").order_by("mediator_id")
        .annotate(
            open_load=Count("case", distinct=True, filter=Q(case__state__in=OPEN_STATES)),
            mediated=Count("case", distinct=True, filter=Q(case__state__in=FINISHED)),
            succeeded=Count("case", distinct=True, filter=Q(case__state__in=SUCCEEDED)),
        )
    )
    for row in rows:
        f = result[row["mediator_id"]]
        f.open_load, f.mediated, f.succeeded = row["open_load"], row["mediated"], row["succeeded"]
    return result


@dataclass
class Suggestion:
    mediator: Mediator
    figures: Figures
    score: float
    reasons: list = field(default_factory=list)
    available: bool = True


def ranked(case, mediators=None):
    """Mediators (all, or the queryset given) best match first for this case, ranked in the
    database: specialty in the case's category 3, serving its community 2, free capacity up to
    1.5, past success up to 2; full ones last. A queryset, so a page of it costs one query."""
    mediators = roster() if mediators is None else mediators
    specialty = Exists(Specialty.objects.filter(mediator=OuterRef("pk"), category=case.category))
    local = Exists(Mediator.communities.through.objects.filter(mediator_id=OuterRef("pk"),
                                                               community_id=case.grid.community_id))
    free = Cast(F("capacity") - F("open_load"), FloatField())
    return mediators.annotate(
        matches_specialty=specialty, serves_community=local,
        score=(Case(When(matches_specialty=True, then=Value(3.0)), default=Value(0.0))
               + Case(When(serves_community=True, then=Value(2.0)), default=Value(0.0))
               + Case(When(capacity__gt=F("open_load"), then=Value(1.5) * free / Cast(Greatest(F("capacity"), 1), FloatField())),
                      default=Value(-100.0), output_field=FloatField())
               + Case(When(mediated__gt=0, then=Value(2.0) * Cast("succeeded", FloatField()) / F("mediated")),
                      default=Value(0.0), output_field=FloatField())),
    ).order_by("-score", "name", "id")


def suggestions(case, *, limit=None, mediators=None) -> list[Suggestion]:
    """Active mediators for this case, best match first (`ranked`), each with why it is
    suggested. `mediators`: a page of `ranked(case)` already fetched."""
    from django.utils.translation import gettext as _

    if mediators is None:
        mediators = ranked(case, roster().filter(active=True))
        mediators = mediators[:limit] if limit else mediators
    result = []
    for mediator in mediators:
        f = Figures.of(mediator)
        reasons = []
        if mediator.matches_specialty:
            reasons.append(_("specialises in %(category)s disputes") % {"category": case.get_category_display()})
        if mediator.serves_community:
            reasons.append(_("serves %(community)s") % {"community": case.grid.community.name})
        free = mediator.capacity - f.open_load
        available = free > 0
        if available:
            reasons.append(_("%(free)s of %(capacity)s places free") % {"free": free, "capacity": mediator.capacity})
        else:
            reasons.append(_("full at the moment"))
        if f.success_rate is not None:
            reasons.append(_("%(rate)s%% success in %(n)s cases") % {
                "rate": round(f.success_rate * 100), "n": f.mediated})
        result.append(Suggestion(mediator, f, mediator.score, reasons, available))
    return result
