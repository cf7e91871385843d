"""Due dates from the configurable rules (cases.DueRule, editable in the admin).

Defaults, when no rule matches: major risk — first response within 24 hours; serious — 7 days;
general — 15 days. A rule for (risk, tier) beats a rule for (risk, any tier)."""

from datetime import datetime, timedelta

from .choices import Risk
from .models import DueRule

DEFAULT_HOURS = {Risk.MAJOR: 24, Risk.SERIOUS: 7 * 24, Risk.GENERAL: 15 * 24}


def due_hours(*, risk: str, tier: str = "") -> int:
    """Hours a case of this risk level and tier may stay open. One query."""
    rules = {r.tier: r.hours for r in DueRule.objects.filter(risk=risk, tier__in=[tier, ""])}
    if tier and tier in rules:
        return rules[tier]
    if "" in rules:
        return rules[""]
    return DEFAULT_HOURS[risk]


def compute_due(*, risk: str, tier: str = "", start: datetime) -> datetime:
    return start + timedelta(hours=due_hours(risk=risk, tier=tier))
