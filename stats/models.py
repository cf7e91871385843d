"""Derived statistics tables, rebuilt from the cases by stats/refresh.py and read by
stats/figures.py. Nothing here is entered by anyone: every row can be dropped and rebuilt
(`manage.py refresh_statistics --full`).

Place columns (grid, community, street, district) are copies taken at refresh time, so a report
filters one table without joining the map; they point at the map without database constraints
(a derived row must never block, or cascade from, an edit of the map), and a refresh corrects
them when a grid moves (GridNow keeps the copy it compares with)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, Channel, Risk, State, Tier, Warning
from cases.models import Case
from grids.models import Community, CommunityGrid, District, Street
from mediators.models import Mediator


def _place(model, verbose_name, *, null=False, db_index=False):
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                             null=null, blank=null, db_index=db_index, verbose_name=verbose_name)


class CaseFact(models.Model):
    """One row per case: where it is, what it is, and the measures the statistics add up
    (stats/facts.py computes them)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                verbose_name=_("case"))
    grid = _place(CommunityGrid, _("community grid"))
    community = _place(Community, _("community"))
    street = _place(Street, _("street"))
    district = _place(District, _("district"), null=True)
    reported_on = models.DateField(_("reported on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    channel = models.CharField(_("discovery channel"), max_length=20, choices=Channel.choices)
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    # The mediator of the case's current choice (else its latest): the mediators' figures group
    # the facts by it (a partial index keeps that to the mediated cases).
    mediator = models.ForeignKey(Mediator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                                 null=True, blank=True, db_index=False, verbose_name=_("mediator"))
    accepted = models.BooleanField(_("accepted"), default=False)
    settled = models.BooleanField(_("settled"), default=False)
    mediated = models.BooleanField(_("mediated"), default=False)
    mediated_settled = models.BooleanField(_("settled by mediation"), default=False)
    with_due = models.BooleanField(_("settled with a deadline"), default=False)
    on_time = models.BooleanField(_("settled on time"), default=False)
    settled_on_spot = models.BooleanField(_("settled on the spot"), default=False)
    repeat = models.BooleanField(_("repeat dispute"), default=False)
    referrals = models.PositiveIntegerField(_("referrals sent"), default=0)
    referrals_answered = models.PositiveIntegerField(_("referrals answered"), default=0)
    triage_seconds = models.PositiveIntegerField(_("seconds to triage"), null=True, blank=True)
    resolve_seconds = models.PositiveIntegerField(_("seconds to resolve"), null=True, blank=True)
    level_grid_seconds = models.PositiveIntegerField(_("seconds at the grid"), default=0)
    level_police_room_seconds = models.PositiveIntegerField(_("seconds at the community police room"),
                                                            default=0)
    level_joint_seconds = models.PositiveIntegerField(_("seconds in joint mediation"), default=0)
    level_street_seconds = models.PositiveIntegerField(_("seconds at the station and street"), default=0)
    level_district_seconds = models.PositiveIntegerField(_("seconds at the district mediation centre"),
                                                         default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")
        indexes = [
            models.Index(fields=["reported_on"], name="fact_reported"),
            models.Index(fields=["resolved_on"], name="fact_resolved"),
            models.Index(fields=["grid", "reported_on"], name="fact_grid_reported"),
            models.Index(fields=["community", "reported_on"], name="fact_community_reported"),
            models.Index(fields=["street", "reported_on"], name="fact_street_reported"),
            models.Index(fields=["district", "reported_on"], name="fact_district_reported"),
            models.Index(fields=["reported_on", "mediator"], condition=models.Q(mediator__isnull=False),
                         name="fact_mediated"),
        ]

    def __str__(self):
        return str(self.case_id)


class Measures(models.Model):
    """What a rollup row sums over its cases: the cohort REPORTED on its day (every measure but
    `resolved`), and `resolved`, the cases whose resolution fell on that day."""

    reported = models.PositiveIntegerField(_("reported"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    settled = models.PositiveIntegerField(_("settled"), default=0)
    mediated = models.PositiveIntegerField(_("mediated"), default=0)
    mediated_settled = models.PositiveIntegerField(_("settled by mediation"), default=0)
    with_due = models.PositiveIntegerField(_("settled with a deadline"), default=0)
    on_time = models.PositiveIntegerField(_("settled on time"), default=0)
    settled_on_spot = models.PositiveIntegerField(_("settled on the spot"), default=0)
    repeat = models.PositiveIntegerField(_("repeat disputes"), default=0)
    referrals = models.PositiveIntegerField(_("referrals sent"), default=0)
    referrals_answered = models.PositiveIntegerField(_("referrals answered"), default=0)
    triaged_n = models.PositiveIntegerField(_("triaged"), default=0)
    triage_seconds = models.BigIntegerField(_("seconds to triage"), default=0)
    resolved_n = models.PositiveIntegerField(_("settled with a resolution time"), default=0)
    resolve_seconds = models.BigIntegerField(_("seconds to resolve"), default=0)
    # Time at each level, summed over the settled cases of the cohort (resolved_n), so that the
    # levels' averages add up to the average time to resolve.
    level_grid_seconds = models.BigIntegerField(_("seconds at the grid"), default=0)
    level_police_room_seconds = models.BigIntegerField(_("seconds at the community police room"), default=0)
    level_joint_seconds = models.BigIntegerField(_("seconds in joint mediation"), default=0)
    level_street_seconds = models.BigIntegerField(_("seconds at the station and street"), default=0)
    level_district_seconds = models.BigIntegerField(_("seconds at the district mediation centre"), default=0)
    resolved = models.PositiveIntegerField(_("resolved that day"), default=0)


    class Meta:
        abstract = True


class Kinds(models.Model):
    """What the statistics break their figures down by (a rollup's and a breakdown's key)."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    channel = models.CharField(_("discovery channel"), max_length=20, choices=Channel.choices)
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)

    class Meta:
        abstract = True


class DailyRollup(Measures, Kinds):
    """The facts of one day summed per place and kind of case: the cohort REPORTED that day
    (every measure but `resolved`), and `resolved`, the cases whose resolution fell on that day."""

    day = models.DateField(_("day"))
    grid = _place(CommunityGrid, _("community grid"))
    community = _place(Community, _("community"))
    street = _place(Street, _("street"))
    district = _place(District, _("district"), null=True)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        indexes = [
            models.Index(fields=["day"], name="rollup_day"),
            models.Index(fields=["district", "day"], name="rollup_district_day"),
            models.Index(fields=["street", "day"], name="rollup_street_day"),
            models.Index(fields=["community", "day"], name="rollup_community_day"),
            models.Index(fields=["grid", "day"], name="rollup_grid_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.grid_id}"


class DayTotal(Measures):
    """The daily rollups of one day summed over every place: the province's figures (the
    administrator's dashboard) from 365 rows a year instead of a million. Rebuilt with them."""

    day = models.DateField(_("day"), unique=True)

    class Meta:
        verbose_name = _("daily total")
        verbose_name_plural = _("daily totals")

    def __str__(self):
        return str(self.day)


class DayBreakdown(Measures, Kinds):
    """The daily rollups of one day summed over every place, kept by what the statistics break
    down by (category, channel, risk, tier): the province's report from a few hundred rows a day
    instead of thousands. Rebuilt with them, like DayTotal."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily breakdown")
        verbose_name_plural = _("daily breakdowns")
        constraints = [models.UniqueConstraint(fields=["day", "category", "channel", "risk", "tier"],
                                               name="daybreakdown_key")]

    def __str__(self):
        return str(self.day)


class StreetDay(Measures):
    """The daily rollups of one day summed per street: the rankings of the province (by district)
    and of a district (by street), and a district or street leader's year on the dashboard, from
    a quarter of the rollup rows. Rebuilt with them; a refresh that finds a grid moved to another
    street sums the days of its rollups again."""

    day = models.DateField(_("day"))
    street = _place(Street, _("street"))
    district = _place(District, _("district"), null=True)

    class Meta:
        verbose_name = _("daily street total")
        verbose_name_plural = _("daily street totals")
        constraints = [models.UniqueConstraint(fields=["street", "day"], name="streetday_key")]
        indexes = [models.Index(fields=["district", "day"], name="streetday_district_day"),
                   models.Index(fields=["day"], name="streetday_day")]

    def __str__(self):
        return f"{self.day} {self.street_id}"


class GridNow(models.Model):
    """Per community grid, at the last refresh: its open and overdue cases, and where the grid
    sat on the map (a refresh that finds it moved corrects the facts and rollups)."""

    grid = models.OneToOneField(CommunityGrid, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                verbose_name=_("community grid"))
    community = _place(Community, _("community"))
    street = _place(Street, _("street"))
    district = _place(District, _("district"), null=True)
    open = models.PositiveIntegerField(_("open cases"), default=0)
    overdue = models.PositiveIntegerField(_("overdue cases"), default=0)
    # The open cases by state and by warning colour (the province's dashboard adds these up
    # instead of reading every open case): one column per OPEN_STATES and per Warning.
    reported = models.PositiveIntegerField(State.REPORTED.label, default=0)
    triaged = models.PositiveIntegerField(State.TRIAGED.label, default=0)
    mediating = models.PositiveIntegerField(State.MEDIATING.label, default=0)
    escalated = models.PositiveIntegerField(State.ESCALATED.label, default=0)
    referred = models.PositiveIntegerField(State.REFERRED.label, default=0)
    at_district = models.PositiveIntegerField(State.DISTRICT.label, default=0)
    red = models.PositiveIntegerField(Warning.RED.label, default=0)
    orange = models.PositiveIntegerField(Warning.ORANGE.label, default=0)
    yellow = models.PositiveIntegerField(Warning.YELLOW.label, default=0)
    blue = models.PositiveIntegerField(Warning.BLUE.label, default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    # The column of each open state (OPEN_STATES) and warning colour.
    STATE_COLUMNS = {State.REPORTED: "reported", State.TRIAGED: "triaged", State.MEDIATING: "mediating",
                     State.ESCALATED: "escalated", State.REFERRED: "referred", State.DISTRICT: "at_district"}
    WARNING_COLUMNS = {colour: colour for colour in Warning.values}

    class Meta:
        verbose_name = _("open cases per grid")
        verbose_name_plural = _("open cases per grid")
        indexes = [models.Index(fields=["-open", "grid"], name="gridnow_most_open")]

    def __str__(self):
        return str(self.grid_id)


class Refresh(models.Model):
    """One run of stats.refresh.refresh; the last finished one is when the figures were made."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    full = models.BooleanField(_("full rebuild"), default=False)
    cases = models.PositiveIntegerField(_("cases recomputed"), default=0)
    days = models.PositiveIntegerField(_("days rebuilt"), default=0)

    class Meta:
        verbose_name = _("statistics refresh")
        verbose_name_plural = _("statistics refreshes")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-finished_at"], name="refresh_finished")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"
