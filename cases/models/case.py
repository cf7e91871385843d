"""The dispute case and its state machine.

Transitions here are thin: the state graph, conditions on the same row, and its own fields.
Who may take each, its form and its side effects are its entry in cases/transitions.py;
locking, saving and the timeline are cases/workflow.py, the only caller.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from grids.display import ChoiceDisplay
from grids.models import CommunityGrid, Street

from ..choices import (
    OPEN_STATES,
    STATE_BADGES,
    TAKEN_UP_STATES,
    AttachmentKind,
    Category,
    Channel,
    DueUnit,
    EventKind,
    LedgerReason,
    PartyRole,
    Risk,
    State,
    TeamRole,
    Tier,
)
from ..validators import validate_id_number, validate_phone


class CaseQuerySet(models.QuerySet):
    """The one definition of each list rule (open, overdue, on the ledger)."""

    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())

    def taken_up(self):
        """Escalated or referred: the station and street have it."""
        return self.filter(state__in=TAKEN_UP_STATES)

    def major_open(self):
        return self.open().filter(risk=Risk.MAJOR)

    def on_ledger(self, now=None, reason: str | None = None):
        """重点疑难矛盾纠纷台账: escalated or referred, open and of major risk, or open and
        overdue — or only those of one `reason` (LedgerReason). Every reason is open: saying so
        first lets the database read the open cases' indexes alone."""
        now = now or timezone.now()
        open_cases = self.open()
        parts = {
            LedgerReason.ESCALATED: models.Q(state__in=TAKEN_UP_STATES),
            LedgerReason.MAJOR: models.Q(state__in=OPEN_STATES, risk=Risk.MAJOR),
            LedgerReason.OVERDUE: models.Q(state__in=OPEN_STATES, due_at__lt=now),
        }
        if reason is not None:
            return open_cases.filter(parts[reason])
        return open_cases.filter(parts[LedgerReason.ESCALATED] | parts[LedgerReason.MAJOR]
                                 | parts[LedgerReason.OVERDUE])


class Case(ChoiceDisplay, FSMModelMixin, models.Model):
    number = models.CharField(_("case number"), max_length=40, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"))
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    reported_at = models.DateTimeField(_("when it was reported"), default=timezone.now)
    address = models.CharField(_("address"), max_length=255)
    # The same building and unit (cases/addresses.py), for the repeat-dispute radar; written
    # with the address by the services that write it (intake, corrections).
    address_key = models.CharField(_("building and unit"), max_length=255, blank=True, db_index=True,
                                   editable=False)
    grid = models.ForeignKey(
        CommunityGrid, on_delete=models.PROTECT, related_name="cases", verbose_name=_("community grid")
    )
    channel = models.CharField(_("discovery channel"), max_length=20, choices=Channel.choices)
    incident_number = models.CharField(
        _("110 incident number"), max_length=40, blank=True,
        help_text=_("Required when the case came from a 110 incident."),
    )
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices, default=Risk.GENERAL)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)
    lead_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("lead handler"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    resolution = models.TextField(_("resolution summary"), blank=True)
    settled_without_agreement = models.BooleanField(
        _("settled without a written agreement"), default=False,
        help_text=_("An oral settlement or the parties' own reconciliation, recorded in the summary."),
    )
    escalation_reason = models.TextField(_("reason for escalation"), blank=True)
    at_district = models.BooleanField(
        _("held by the district mediation centre"), default=False, editable=False,
        help_text=_("Raised to the district centre (提级) and not sent back to the street."))
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    # A duplicate merged into the case that survives (cases/links.py): withdrawn, pointing there.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged",
                                    editable=False, verbose_name=_("merged into"))
    state = FSMField(_("state"), default=State.REPORTED, choices=State.choices, protected=True)
    # The intake form's one-time token: the same form sent twice creates one case.
    intake_token = models.UUIDField(_("intake token"), null=True, blank=True, unique=True, editable=False)
    # Bumped by every workflow write: a form posted against an older version is stale.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # The due date of the case's earliest follow-up visit not yet made, kept from its visits
    # however they are written (cases/loop.py keep_follow_up_due): a leader's work bench asks
    # each grid for its first visits due from the case index alone (selectors.workbench_loop).
    follow_up_due = models.DateField(_("follow-up visit due"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "state", "due_at"], name="case_grid_state_due"),
            models.Index(fields=["state", "due_at"], name="case_state_due"),
            models.Index(fields=["-updated_at"], name="case_updated"),
            # a leader's work bench asks each grid for its last changed cases (paging.first_ids)
            models.Index(fields=["grid", "-updated_at", "-id"], name="case_grid_updated"),
            models.Index(fields=["lead_handler", "state"], name="case_lead_state"),
            # Lists (issue 14): the list's order, for everyone and per grid, per state and for open
            # cases; the state last in the first one answers the dashboard's year from the index.
            models.Index(fields=["-reported_at", "-id", "state"], name="case_reported"),
            models.Index(fields=["grid", "-reported_at", "-id"], name="case_grid_reported"),
            models.Index(fields=["state", "-reported_at", "-id"], name="case_state_reported"),
            # Open cases are a small part of all: the ledger's order and the dashboard's counts
            # read them alone (CaseQuerySet.on_ledger says "open" for that).
            models.Index(fields=["-reported_at", "-id"], condition=models.Q(state__in=OPEN_STATES),
                         name="case_open_reported"),
            models.Index(fields=["due_at", "id"], condition=models.Q(state__in=OPEN_STATES), name="case_open_due"),
            models.Index(fields=["grid", "state", "risk", "due_at"], condition=models.Q(state__in=OPEN_STATES),
                         name="case_open_grid"),
            # a leader's work bench asks each grid for its most overdue (paging.first_ids); the
            # ledger reads its ids and count from it alone (state and risk carried: its rule
            # needs them), not from a street's every open case in the table
            models.Index(fields=["grid", "due_at", "id"], condition=models.Q(state__in=OPEN_STATES),
                         include=["state", "risk"], name="case_open_grid_due"),
            models.Index(fields=["resolved_at", "state", "id"], name="case_resolved"),
            # ... and for its first follow-up visits due (the resolved cases awaiting one)
            models.Index(fields=["grid", "follow_up_due", "id"], name="case_grid_follow_up",
                         condition=models.Q(state=State.RESOLVED, follow_up_due__isnull=False)),
            # Searching words (filters.CaseFilter.search) has trigram indexes on PostgreSQL:
            # migration 0023.
        ]
        permissions = [
            ("mediate_case", _("Mediates this case (chosen mediator)")),
            ("handle_referral_case", _("Handles a referral of this case (department)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(channel=Channel.INCIDENT_110) | ~models.Q(incident_number=""),
                name="case_110_needs_incident_number",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.pk])

    def clean(self):
        if self.channel == Channel.INCIDENT_110 and not self.incident_number.strip():
            raise ValidationError(
                {"incident_number": _("Give the 110 incident number for a case from a 110 incident.")}
            )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_badge(self) -> str:
        """The CSS class of the state's badge (choices.STATE_BADGES)."""
        return STATE_BADGES.get(self.state, "text-bg-secondary")

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    def ledger_reasons(self, now=None) -> list[str]:
        """Why the case is on the ledger (LedgerReason values), by the rule of on_ledger()."""
        now = now or timezone.now()
        reasons = []
        if self.state in TAKEN_UP_STATES:
            reasons.append(LedgerReason.ESCALATED)
        if self.is_open and self.risk == Risk.MAJOR:
            reasons.append(LedgerReason.MAJOR)
        if self.is_open and self.due_at is not None and self.due_at < now:
            reasons.append(LedgerReason.OVERDUE)
        return reasons

    def ledger_reason_labels(self, now=None) -> str:
        return "、".join(str(LedgerReason(r).label) for r in self.ledger_reasons(now))

    # Conditions.

    def is_fully_triaged(self) -> bool:
        return bool(self.risk and self.tier and self.lead_handler_id and self.due_at)

    def mediator_chosen(self) -> bool:
        """A mediator was chosen by the parties or assigned (mediators.MediatorChoice)."""
        return self.mediator_choices.filter(active=True).exists()

    def agreement_recorded(self) -> bool:
        """A mediated case resolves on a written agreement or a recorded settlement; a case the
        station and street took over (escalated, referred) resolves on its summary."""
        if self.state != State.MEDIATING:
            return True
        return self.settled_without_agreement or hasattr(self, "agreement")

    def follow_up_done(self) -> bool:
        """Closing needs a follow-up visit, after resolving, that found the agreement kept."""
        done = self.follow_ups.filter(done_at__isnull=False, fulfilled=True)
        if self.resolved_at:
            done = done.filter(done_at__gte=self.resolved_at)
        return done.exists()

    def has_resolution(self) -> bool:
        return bool(self.resolution.strip()) and self.agreement_recorded()

    def handled_close_to_home(self) -> bool:
        """Settling on the spot is for a case triaged at the grid or the community police room."""
        return self.tier in (Tier.GRID, Tier.POLICE_ROOM)

    def has_escalation_reason(self) -> bool:
        return bool(self.escalation_reason.strip())

    def has_referral(self) -> bool:
        return bool(self.referred_to.strip())

    def has_withdrawal_reason(self) -> bool:
        return bool(self.withdrawal_reason.strip())

    # Transitions: the state graph. Who may take each, its form, fields, messages and side
    # effects are its entry in cases/transitions.py; only cases.workflow.run_transition calls them.

    @transition(field=state, source=State.REPORTED, target=State.TRIAGED,
                conditions=[is_fully_triaged])
    def triage(self):
        self.triaged_at = timezone.now()

    @transition(field=state, source=State.TRIAGED, target=State.MEDIATING,
                conditions=[mediator_chosen])
    def start_mediation(self):
        pass

    @transition(field=state, source=[State.TRIAGED, State.MEDIATING], target=State.ESCALATED,
                conditions=[has_escalation_reason])
    def escalate(self):
        pass

    @transition(field=state, source=[State.ESCALATED, State.REFERRED], target=State.DISTRICT)
    def raise_to_district(self):
        """提级: the street hands the case to the district's mediation centre."""
        self.at_district = True

    @transition(field=state, source=State.DISTRICT, target=State.MEDIATING,
                conditions=[mediator_chosen])
    def district_take(self):
        """The district centre takes the case on itself and mediates it (it stays the district's)."""

    @transition(field=state, source=State.DISTRICT, target=State.ESCALATED)
    def send_back(self):
        """The district centre sends the case back to the street, with an instruction."""
        self.at_district = False

    @transition(field=state, source=[State.ESCALATED, State.REFERRED, State.DISTRICT],
                target=State.REFERRED, conditions=[has_referral])
    def refer(self):
        pass

    @transition(field=state, source=[State.ESCALATED, State.REFERRED], target=State.MEDIATING,
                conditions=[mediator_chosen])
    def assign_mediation(self):
        pass

    @transition(field=state, source=[State.MEDIATING, State.ESCALATED, State.REFERRED, State.DISTRICT],
                target=State.RESOLVED, conditions=[has_resolution])
    def resolve(self):
        self.resolved_at = timezone.now()

    @transition(field=state, source=State.TRIAGED, target=State.RESOLVED,
                conditions=[handled_close_to_home, has_resolution])
    def settle_on_spot(self):
        """当场化解: the handler calmed the dispute on the spot; the parties settled orally."""
        self.resolved_at = timezone.now()
        self.settled_without_agreement = True

    @transition(field=state, source=State.RESOLVED, target=State.MEDIATING)
    def reopen(self):
        self.resolved_at = None

    @transition(field=state, source=State.RESOLVED, target=State.CLOSED,
                conditions=[follow_up_done])
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=state, source=[State.REPORTED, State.TRIAGED], target=State.WITHDRAWN,
                conditions=[has_withdrawal_reason])
    def withdraw(self):
        self.closed_at = timezone.now()


class CaseTeamMember(models.Model):
    """The joint team on a case (联合调处): a colleague with an account, or a named volunteer."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("member"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=100, blank=True,
                            help_text=_("For someone without an account: their unit or organisation."))
    role = models.CharField(_("role in the team"), max_length=20, choices=TeamRole.choices)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(name=""),
                name="teammember_user_or_name",
            )
        ]

    def __str__(self):
        return self.name or str(self.user)


class Party(ChoiceDisplay, models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(_("full name"), max_length=100)
    role = models.CharField(_("party role"), max_length=20, choices=PartyRole.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, validators=[validate_id_number]
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    notes = models.CharField(
        _("notes"), max_length=255, blank=True, help_text=_("e.g. elderly, lives alone")
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["id"]
        indexes = [models.Index(fields=["phone"], name="party_phone"),
                   models.Index(fields=["id_number"], name="party_id_number")]

    def __str__(self):
        return self.name


def attachment_path(instance, filename):
    # Never reuse the uploaded name on disk: it may contain anything.
    import uuid
    from pathlib import Path

    return f"cases/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Attachment(ChoiceDisplay, models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("type"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.original_name


class CaseEvent(models.Model):
    """The append-only timeline. Written only by cases.workflow, inside the same transaction
    as the change it records; on PostgreSQL a trigger refuses UPDATE and DELETE."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("actor"))
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=30, blank=True)
    from_state = models.CharField(_("from state"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, choices=State.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_at"),
                   # the dashboard's 当场化解 this year
                   models.Index(fields=["at", "case"], condition=models.Q(action="settle_on_spot"),
                                name="event_settled_on_spot")]

    def __str__(self):
        return f"{self.case_id} {self.get_kind_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The case timeline is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The case timeline is append-only.")


class CaseSequence(models.Model):
    """The last case number handed out per street and year (locked while allocating)."""

    street = models.ForeignKey(Street, verbose_name=_("street"), on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number sequence")
        verbose_name_plural = _("case number sequences")
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="casesequence_street_year")
        ]


class DueRule(models.Model):
    """How long a case may stay open, by risk level and (optionally) tier. Editable by
    administrators; the most specific rule wins."""

    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True,
                            help_text=_("Empty: any tier."))
    amount = models.PositiveIntegerField(_("time allowed"))
    unit = models.CharField(_("unit"), max_length=20, choices=DueUnit.choices, default=DueUnit.HOURS)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("due-date rule")
        verbose_name_plural = _("due-date rules")
        ordering = ["risk", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "tier"], name="duerule_risk_tier")
        ]

    def __str__(self):
        return f"{self.get_risk_display()} {self.get_tier_display() or '*'}: {self.amount} {self.get_unit_display()}"


class PersonalDataDisclosure(models.Model):
    """Who saw an unmasked phone or ID number of which party, when, and how (revealed on the
    case page, found by searching for the whole number, or printed on the signed agreement or
    the case file)."""

    class How(models.TextChoices):
        REVEAL = "reveal", _("Revealed on the case page")
        SEARCH = "search", _("Found by searching the whole number")
        AGREEMENT = "agreement", _("Printed on the mediation agreement")
        CASE_FILE = "case_file", _("Printed in the case file")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("viewed by"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    how = models.CharField(_("how"), max_length=10, choices=How.choices, default=How.REVEAL)

    class Meta:
        verbose_name = _("personal data disclosure")
        verbose_name_plural = _("personal data disclosures")
        ordering = ["-at"]


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Per-case grants (cases/grants.py): a chosen mediator, a referred department, an invited colleague;
    scope normally comes from grids."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, verbose_name=_("case"))
    history = HistoricalRecords()  # who was granted a case, why, and when the grant ended

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("grant on a case")
        verbose_name_plural = _("grants on cases")


class CaseLink(models.Model):
    """Two related cases (the same family, the same building's leak), shown on both. Stored
    once per pair, the smaller id first."""

    case_a = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    case_b = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("related case"))
    note = models.CharField(_("how they are related"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("linked by"))
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("related cases")
        verbose_name_plural = _("related cases")
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="caselink_unique_pair"),
            models.CheckConstraint(condition=models.Q(case_a__lt=models.F("case_b")), name="caselink_ordered"),
        ]
        indexes = [models.Index(fields=["case_b"], name="caselink_b")]

    def __str__(self):
        return f"{self.case_a_id} ↔ {self.case_b_id}"
