"""Closing the loop (闭环): referrals to departments, two-way calls between grid and police,
supervision and meeting tasks, joint meetings, and follow-up visits before closing."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.display import ChoiceDisplay
from grids.models import CommunityGrid, District, PoliceStation, Street

from ..choices import CallDirection, DepartmentKind, MeetingKind, ReferralStatus, Satisfaction, TaskKind
from .case import Case

USER = settings.AUTH_USER_MODEL


class Department(models.Model):
    """A competent department cases are referred to (住建、人社、市场监管、司法所、法院诉调对接…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    contacts = models.ManyToManyField(USER, blank=True, related_name="departments",
                                      verbose_name=_("contact accounts"))
    needs_approval = models.BooleanField(
        _("a handler's referral needs a leader's approval"), default=False,
        help_text=_("Ticked: a referral sent by a grid worker or officer waits until a station or street "
                    "leader approves it (e.g. the court's 诉调对接, arbitration)."))

    history = HistoricalRecords(m2m_fields=[contacts])

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class Referral(ChoiceDisplay, models.Model):
    """提级化解: a case sent to a department, signed for, handled (with feedback) or returned."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="referrals",
                                   verbose_name=_("department"))
    request = models.TextField(_("what is asked of the department"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    feedback = models.TextField(_("department's feedback"), blank=True)
    # A leader's instruction on approving a handler's referral, or why it was not approved.
    decision_note = models.TextField(_("leader's note on the approval"), blank=True)
    contact = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("department contact account"))
    sent_by = models.ForeignKey(USER, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-id"]
        # the leaders' approvals on the work bench, oldest first, without sorting every referral
        indexes = [models.Index(fields=["sent_at", "id"], condition=models.Q(status=ReferralStatus.AWAITING),
                                name="referral_awaiting")]

    def __str__(self):
        return f"{self.case.number} → {self.department}"

    @property
    def is_open(self) -> bool:
        """With the department: sent, or signed for."""
        return self.status in (ReferralStatus.SENT, ReferralStatus.RECEIVED)

    @property
    def is_awaiting(self) -> bool:
        return self.status == ReferralStatus.AWAITING

    @property
    def is_late(self) -> bool:
        return self.is_open and self.deadline < timezone.localdate()


class CallQuerySet(models.QuerySet):
    def late(self, now=None):
        """Calls not answered by their deadline: still open past it, or answered after it."""
        now = now or timezone.now()
        return self.filter(models.Q(answered_at__isnull=True, respond_by__lt=now)
                           | models.Q(answered_at__gt=models.F("respond_by")))


class Call(ChoiceDisplay, models.Model):
    """网格有呼、民警有应 / 民警有呼、网格有应: a call for help across grid and police, on a case
    or as a free event in a grid, with a response deadline."""

    direction = models.CharField(_("direction"), max_length=20, choices=CallDirection.choices)
    grid = models.ForeignKey(CommunityGrid, on_delete=models.PROTECT, related_name="calls",
                             verbose_name=_("community grid"))
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="calls", verbose_name=_("case"))
    message = models.TextField(_("what is needed"))
    caller = models.ForeignKey(USER, verbose_name=_("caller"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("called at"), default=timezone.now)
    respond_by = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
    verbose_name=_("answered by"),
                                    related_name="+")
    answer = models.TextField(_("answer"), blank=True)
    # Set once by the periodic check when the call went unanswered past its deadline.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("two-way call")
        verbose_name_plural = _("two-way calls")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["grid", "answered_at", "respond_by"], name="call_grid_open")]

    def __str__(self):
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_late(self) -> bool:
        if self.answered_at:
            return self.answered_at > self.respond_by
        return timezone.now() > self.respond_by

    @property
    def response_minutes(self) -> int | None:
        if not self.answered_at:
            return None
        return int((self.answered_at - self.created_at).total_seconds() // 60)


class Meeting(ChoiceDisplay, models.Model):
    """A meeting on cases: the street's 联席会议 (its agenda: the difficult cases in scope, as the
    leaders choose them) or a handler's 协调会 on one or a few cases, with people without accounts."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="meetings", null=True, blank=True,
                               verbose_name=_("street"))
    # A district's joint meeting (区矛调中心联席会议) has a district and no street.
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="meetings", null=True,
                                 blank=True, verbose_name=_("district"))
    station = models.ForeignKey(PoliceStation, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="meetings", verbose_name=_("police station"))
    kind = models.CharField(_("kind of meeting"), max_length=20, choices=MeetingKind.choices,
                            default=MeetingKind.JOINT)
    held_on = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=100)
    attendees = models.TextField(_("attendees"),
                                 help_text=_("Street, station, communities, property companies, schools…"))
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(street__isnull=False) | models.Q(district__isnull=False),
            name="meeting_has_a_place")]

    def __str__(self):
        return f"{self.host} {self.held_on:%Y-%m-%d}"

    @property
    def host(self):
        """Whose meeting it is: the street, or the district's centre."""
        return self.street or self.district


class MeetingItem(models.Model):
    """One case on a meeting's agenda, and what the meeting decided about it."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="meeting_items")
    why = models.CharField(_("why on the agenda"), max_length=100)
    decision = models.TextField(_("decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting item")
        verbose_name_plural = _("meeting items")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="meetingitem_unique")]


class Task(ChoiceDisplay, models.Model):
    """Work with a deadline on a handler's work bench: a leader's supervision instruction (督办)
    or a joint meeting's decision."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    text = models.TextField(_("instruction"))
    deadline = models.DateField(_("deadline"))
    assignee = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="tasks",
                                 verbose_name=_("assigned to"))
    issued_by = models.ForeignKey(USER, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    meeting_item = models.ForeignKey(MeetingItem, on_delete=models.PROTECT, null=True, blank=True,
    verbose_name=_("meeting item"),
                                     related_name="tasks")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    # An automatic 督办 (a case overdue past the margin) is issued once per case and due date.
    auto_key = models.CharField(_("automatic key"), max_length=80, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["assignee", "done_at", "deadline"], name="task_assignee_open")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.case.number}"

    @property
    def is_late(self) -> bool:
        return self.done_at is None and self.deadline < timezone.localdate()


class FollowUp(ChoiceDisplay, models.Model):
    """回访: scheduled when a case resolves; a case closes only after a fulfilled follow-up."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="follow_ups")
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("done by"))
    fulfilled = models.BooleanField(_("agreement fulfilled"), null=True)
    satisfaction = models.CharField(_("parties' satisfaction"), max_length=20,
                                    choices=Satisfaction.choices, blank=True)
    note = models.TextField(_("what the parties said"), blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["done_at", "due_on"], name="followup_open"),
                   # the work bench's visits due, first due first, without sorting every open one
                   models.Index(fields=["due_on", "id"], condition=models.Q(done_at__isnull=True),
                                name="followup_pending_due")]

    def __str__(self):
        return f"{self.case.number} {self.due_on}"
