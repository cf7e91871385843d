"""The mediation supermarket (调解超市): mediators from four teams that parties choose from,
the record of each choice on a case, the mediation sessions and the written agreement.
A mediator's figures (open load, cases mediated, successes) are columns kept by
mediators/services.py as she is chosen and taken off cases and as her cases move between states,
so the supermarket reads them instead of counting every choice; `services.recount_figures`
computes them again from the cases."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from cases.choices import Category, ChoiceMethod, Outcome, SessionFormat
from cases.models import Case, Party
from cases.timeline import duration_text
from cases.validators import validate_id_number, validate_phone
from grids.display import ChoiceDisplay
from grids.models import Community


class Team(models.TextChoices):
    PUBLIC_SECURITY = "public_security", _("Public-security mediation")
    PEOPLES = "peoples", _("People's mediation")
    ADMINISTRATIVE = "administrative", _("Administrative mediation")
    JUDICIAL = "judicial", _("Judicial mediation")


class Profession(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    RETIRED_JUDGE = "retired_judge", _("Retired judge")
    TEACHER = "teacher", _("Teacher")
    ELDER = "elder", _("Community elder")
    POLICE = "police", _("Police officer")
    OFFICIAL = "official", _("Civil servant")
    OTHER = "other", _("Other")


FIGURES = ["open_load", "mediated", "succeeded"]


class Mediator(ChoiceDisplay, models.Model):
    name = models.CharField(_("full name"), max_length=100)
    team = models.CharField(_("team"), max_length=20, choices=Team.choices)
    organisation = models.CharField(_("organisation"), max_length=100,
                                    help_text=_("e.g. 栖凤司法所, 栖凤派出所, 凤鸣社区, 某律师事务所"))
    profession = models.CharField(_("profession"), max_length=20, choices=Profession.choices)
    dialects = models.CharField(_("languages and dialects"), max_length=100, blank=True,
                                help_text=_("e.g. 普通话、杭州话"))
    communities = models.ManyToManyField(Community, blank=True, related_name="mediators",
                                         verbose_name=_("communities served"))
    capacity = models.PositiveSmallIntegerField(_("capacity (open cases at once)"), default=5)
    active = models.BooleanField(pgettext_lazy("mediator", "active"), default=True)  # 在册, not a user's 有效
    introduction = models.TextField(_("introduction"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True,
                                 validators=[validate_id_number])
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="mediator", verbose_name=_("user account"))

    # Kept by mediators/services.py (`_count`), never typed: see the module's docstring.
    open_load = models.IntegerField(_("open cases"), default=0, editable=False)
    mediated = models.IntegerField(_("cases mediated"), default=0, editable=False)
    succeeded = models.IntegerField(_("cases mediated successfully"), default=0, editable=False)

    history = HistoricalRecords(m2m_fields=[communities], excluded_fields=FIGURES)

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["team", "name", "id"]
        # The supermarket's page: active mediators in roster order, read by the index.
        indexes = [models.Index(fields=["active", "team", "name", "id"], name="mediator_roster_order")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("mediators:profile", args=[self.pk])


class Specialty(models.Model):
    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="specialties",
                                 verbose_name=_("mediator"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        constraints = [models.UniqueConstraint(fields=["mediator", "category"],
                                               name="specialty_unique")]
        indexes = [models.Index(fields=["category"], name="specialty_category")]

    def __str__(self):
        return self.get_category_display()


class MediatorChoice(ChoiceDisplay, models.Model):
    """A mediator chosen (or assigned) for a case. Replacing one deactivates the row; the row
    itself stays, so the record of who chose whom is never lost."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="mediator_choices")
    mediator = models.ForeignKey(Mediator, verbose_name=_("mediator"), on_delete=models.PROTECT, related_name="choices")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("chosen by party"))
    method = models.CharField(_("how"), max_length=20, choices=ChoiceMethod.choices)
    reason = models.TextField(_("why"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    active = models.BooleanField(_("current"), default=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_reason = models.TextField(_("why it ended"), blank=True)

    class Meta:
        verbose_name = _("mediator choice")
        verbose_name_plural = _("mediator choices")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["mediator", "active"], name="choice_mediator_active")]
        constraints = [
            models.UniqueConstraint(fields=["case", "mediator"], condition=models.Q(active=True),
                                    name="choice_one_active_per_mediator"),
        ]

    def __str__(self):
        return f"{self.case} · {self.mediator}"


class MediationSession(ChoiceDisplay, models.Model):
    """One sitting with the parties: when it started and ended, the roster mediators, the other
    people who took part (accounts such as the officer, and named people with their unit), and
    for a back-to-back session (背对背调解) its parts: who was in which room."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="sessions")
    held_at = models.DateTimeField(_("started at"))
    # Sessions recorded before the end was asked for have none.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    place = models.CharField(_("where"), max_length=100, default="多元化解调解室")
    mediators = models.ManyToManyField(Mediator, related_name="sessions",
                                       verbose_name=_("mediators"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True,
        verbose_name=_("other participants with an account"))
    others_present = models.TextField(
        _("other participants without an account"), blank=True, max_length=1000,
        help_text=_("Name and unit, one per line, e.g. 王建国（社区居委会）."))
    attendees = models.CharField(_("parties present"), max_length=500, blank=True)
    format = models.CharField(_("format"), max_length=20, choices=SessionFormat.choices)
    record = models.TextField(_("record"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=models.F("held_at")),
                                   name="session_ends_after_it_starts"),
        ]

    def __str__(self):
        return f"{self.case} {self.held_at:%Y-%m-%d}"

    @property
    def duration_minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.held_at).total_seconds() // 60)

    @property
    def duration_display(self) -> str:
        """历时 as people say it (1小时20分钟); empty for sessions recorded without an end."""
        minutes = self.duration_minutes
        return "" if minutes is None else duration_text(minutes)

    @property
    def others_present_list(self) -> list[str]:
        return [line.strip() for line in self.others_present.splitlines() if line.strip()]


class SessionPart(models.Model):
    """A part of a back-to-back session: the mediator with one party (or several) in one room."""

    session = models.ForeignKey(MediationSession, verbose_name=_("mediation session"), on_delete=models.CASCADE,
                                related_name="parts")
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    room = models.CharField(_("room"), max_length=100)
    parties = models.ManyToManyField(Party, related_name="+", verbose_name=_("parties in the room"))
    started_at = models.DateTimeField(_("from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("part of a back-to-back session")
        verbose_name_plural = _("parts of back-to-back sessions")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gt=models.F("started_at")),
                name="session_part_ends_after_it_starts"),
        ]

    def __str__(self):
        return f"{self.session} · {self.room}"


class Agreement(models.Model):
    """调解协议书: one per case."""

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="agreement")
    parties = models.ManyToManyField(Party, related_name="+", verbose_name=_("parties"))
    mediators = models.ManyToManyField(Mediator, related_name="agreements",
                                       verbose_name=_("mediators"))
    facts = models.TextField(_("facts of the dispute"))
    terms = models.TextField(_("agreed terms"))
    fulfilment = models.TextField(_("how it will be fulfilled"))
    fulfil_by = models.DateField(_("to be fulfilled by"))
    signed_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, default="多元化解调解室")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        constraints = [
            models.CheckConstraint(condition=models.Q(fulfil_by__gte=models.F("signed_on")),
                                   name="agreement_fulfil_after_signing"),
        ]

    def __str__(self):
        return f"{self.case.number} 调解协议书"

    @property
    def number(self) -> str:
        return f"{self.case.number}-调"
