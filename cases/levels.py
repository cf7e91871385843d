"""Which level holds a case: the grid, the community police room, the joint team, the station
and street, the district's mediation centre (区/县矛调中心). One rule (`level_of`), read by the
workflow (every transition event records the level it left the case at, "level" in its payload)
and by the statistics (time spent at each level, `level_times`, from the timeline)."""

from collections.abc import Iterable
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import TAKEN_UP_STATES, State, Tier


class Level(models.TextChoices):
    GRID = "grid", _("Grid")
    POLICE_ROOM = "police_room", _("Community police room")
    JOINT = "joint", _("Joint mediation")
    STREET = "street", _("Station and street")
    DISTRICT = "district", _("District mediation centre")


_BY_TIER = {Tier.GRID: Level.GRID, Tier.POLICE_ROOM: Level.POLICE_ROOM, Tier.JOINT: Level.JOINT,
            Tier.STREET: Level.STREET}


def level_of(*, state: str, tier: str, at_district: bool) -> Level:
    """The level a case in `state`, triaged to `tier`, is held at. A case the district centre
    took over stays the district's until it sends it back; a case the station and street took
    up (escalated, referred) is theirs; otherwise the tier it was triaged to says (an untriaged
    case is where it was found: the grid)."""
    if at_district or state == State.DISTRICT:
        return Level.DISTRICT
    if state in TAKEN_UP_STATES:
        return Level.STREET
    return _BY_TIER.get(tier, Level.GRID)


def level_times(steps: Iterable[tuple[datetime, str]], *, start: datetime, end: datetime) -> dict[str, float]:
    """Seconds spent at each level between `start` (intake, at the grid) and `end` (resolution,
    or now): `steps` are (when, level entered) in time order, from the timeline's transition
    events. Levels never entered are absent."""
    spent: dict[str, float] = {}
    level, since = Level.GRID.value, start
    for at, entered in steps:
        if at > end:
            break
        if at > since:
            spent[level] = spent.get(level, 0.0) + (at - since).total_seconds()
            since = at
        level = entered
    if end > since:
        spent[level] = spent.get(level, 0.0) + (end - since).total_seconds()
    return spent
