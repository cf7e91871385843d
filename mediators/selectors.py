"""Reads of the supermarket. Every figure is computed from the cases themselves, in a fixed
number of queries however many mediators and cases there are."""

from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from cases.choices import OPEN_STATES, State

from .models import Agreement, Mediator, MediatorChoice

FINISHED = (State.RESOLVED, State.CLOSED, State.ESCALATED, State.REFERRED)
SUCCEEDED = (State.RESOLVED, State.CLOSED)


def roster():
    """Mediators with their open load annotated (for filtering on availability)."""
    return Mediator.objects.annotate(
        open_load=Count("choices__case", distinct=True,
                        filter=Q(choices__active=True, choices__case__state__in=OPEN_STATES)),
    ).prefetch_related("specialties", "communities").order_by("team", "name", "id")


@dataclass
class Figures:
    open_load: int = 0
    mediated: int = 0
    succeeded: int = 0
    avg_days: float | None = None

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.mediated if self.mediated else None


def figures(mediator_ids) -> dict[int, Figures]:
    """Load, cases mediated, successes and average days to agreement per mediator. Two queries."""
    result = {pk: Figures() for pk in mediator_ids}
    rows = (
        MediatorChoice.objects.filter(mediator_id__in=result, active=True)
        .values("mediator_id")
        .annotate(
            open_load=Count("case", distinct=True, filter=Q(case__state__in=OPEN_STATES)),
            mediated=Count("case", distinct=True, filter=Q(case__state__in=FINISHED)),
            succeeded=Count("case", distinct=True, filter=Q(case__state__in=SUCCEEDED)),
        )
    )
    for row in rows:
        f = result[row["mediator_id"]]
        f.open_load, f.mediated, f.succeeded = row["open_load"], row["mediated"], row["succeeded"]
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


@dataclass
class Suggestion:
    mediator: Mediator
    figures: Figures
    score: float
    reasons: list = field(default_factory=list)
    available: bool = True


def suggestions(case, *, limit=None) -> list[Suggestion]:
    """Active mediators for this case, best match first, each with why it is suggested:
    specialty in the case's category, serving its community, free capacity, past success."""
    from django.utils.translation import gettext as _

    mediators = list(roster().filter(active=True))
    stats = figures([m.pk for m in mediators])
    ranked = []
    for mediator in mediators:
        f = stats[mediator.pk]
        score, reasons = 0.0, []
        if any(s.category == case.category for s in mediator.specialties.all()):
            score += 3
            reasons.append(_("specialises in %(category)s disputes") % {"category": case.get_category_display()})
        if any(c.pk == case.grid.community_id for c in mediator.communities.all()):
            score += 2
            reasons.append(_("serves %(community)s") % {"community": case.grid.community.name})
        free = mediator.capacity - f.open_load
        available = free > 0
        if available:
            score += 1.5 * free / max(mediator.capacity, 1)
            reasons.append(_("%(free)s of %(capacity)s places free") % {"free": free, "capacity": mediator.capacity})
        else:
            reasons.append(_("full at the moment"))
        if f.success_rate is not None:
            score += 2 * f.success_rate
            reasons.append(_("%(rate)s%% success in %(n)s cases") % {
                "rate": round(f.success_rate * 100), "n": f.mediated})
        ranked.append(Suggestion(mediator, f, score if available else score - 100, reasons, available))
    ranked.sort(key=lambda s: (-s.score, s.mediator.name, s.mediator.pk))
    return ranked[:limit] if limit else ranked
