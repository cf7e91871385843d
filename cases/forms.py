import uuid
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import StringAgg, Value
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import pickers
from grids.reference import kept
from grids.roles import Role

from .choices import Category, Risk, Satisfaction, TeamRole, Tier
from .fields import BoundedModelMultipleChoiceField, offer_known
from .models import Case, Department, Party
from .uploads import check_upload
from .validators import (
    CLOCK_SKEW,
    REPORTED_YEARS_BACK,
    check_between,
    deadline_bounds,
    years_before,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                check_upload(upload)
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


class CaseForm(forms.ModelForm):
    # One token per blank form, sent back with every retry of it (see workflow.create_case).
    intake_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = [
            "title", "category", "channel", "incident_number", "risk", "grid", "address",
            "occurred_at", "reported_at", "description",
        ]
        widgets = {
            "occurred_at": DATETIME,
            "reported_at": DATETIME,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = pickers.grid_label
        first_two = list(grids[:2])
        if len(first_two) == 1:  # a worker with one grid need not choose it
            self.fields["grid"].initial = first_two[0].pk
        # an administrator or a district may log on thousands of grids: a search picker
        pickers.searchable(self.fields["grid"], kind="grid", choices=grids, data=self.data, name="grid",
                           initial=self.initial.get("grid") or self.fields["grid"].initial)
        if not self.is_bound:
            self.initial["intake_token"] = uuid.uuid4()

    def save(self, commit=True):
        self.instance.intake_token = self.cleaned_data.get("intake_token")
        return super().save(commit=commit)

    def clean_reported_at(self):
        reported = self.cleaned_data["reported_at"]
        now = timezone.now()
        check_between(reported, earliest=years_before(now, REPORTED_YEARS_BACK), latest=now + CLOCK_SKEW)
        return reported

    def clean(self):
        cleaned = super().clean()
        occurred, reported = cleaned.get("occurred_at"), cleaned.get("reported_at")
        if occurred is not None:
            try:
                check_between(occurred, earliest=years_before(timezone.now(), REPORTED_YEARS_BACK),
                              latest=(reported or timezone.now()) + CLOCK_SKEW)
            except forms.ValidationError as error:
                self.add_error("occurred_at", error)
        return cleaned


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["name", "role", "phone", "id_number", "address", "notes"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}


PartyFormSet = inlineformset_factory(
    Case, Party, form=PartyForm, extra=2, min_num=1, validate_min=True, can_delete=False,
    max_num=20, validate_max=True,
)


class AttachmentForm(forms.Form):
    files = MultipleFileField(
        label=_("Photos and documents"), required=False,
        help_text=_("JPG, PNG, GIF, WebP, PDF, Word, Excel or text; at most 10 MB each."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=5000)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_comment_%s")  # ids unique on the case page (a11y)
        super().__init__(*args, **kwargs)


# --- one small form per transition ---------------------------------------------------------


class TransitionForm(forms.Form):
    """Base: the version the user saw (for stale-form detection) and an optional note.
    `case_fields` are the case fields the form sets (its transition's entry in
    cases/transitions.py exposes them; the workflow refuses any other)."""

    case_fields: tuple[str, ...] = ()
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, case, handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.case_fields}

    def extra(self) -> dict:
        """Further keyword arguments for run_transition (the transition's side effects)."""
        return {}


class TriageForm(TransitionForm):
    case_fields = ("category", "risk", "tier", "lead_handler")
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    risk = forms.ChoiceField(label=_("risk level"), choices=Risk.choices)
    tier = forms.ChoiceField(label=_("tier"), choices=Tier.choices)
    lead_handler = forms.ModelChoiceField(label=_("lead handler"), queryset=None)
    team = BoundedModelMultipleChoiceField(
        label=_("joint team"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    field_order = ["category", "risk", "tier", "lead_handler", "team", "note"]

    def __init__(self, *args, case, handlers=(), **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.roles = {user.pk: role for user, role in handlers}  # (user, TeamRole) pairs
        queryset = get_user_model().objects.filter(pk__in=self.roles).order_by("username")
        people = sorted((user for user, _role in handlers), key=lambda user: user.username)
        for name in ("lead_handler", "team"):
            offer_known(self.fields[name], queryset, people)  # drawn without a query each
            self.fields[name].label_from_instance = (  # each with their real role (辅警, not 民警)
                lambda u: f"{u.get_full_name() or u.username}（{TeamRole(self.roles[u.pk]).label}）")
        if not self.is_bound:
            self.initial.update({"category": case.category, "risk": case.risk,
                                 "tier": case.tier or Tier.GRID})

    def extra(self):
        return {"team": [(user, self.roles[user.pk]) for user in self.cleaned_data["team"]]}


class EscalateForm(TransitionForm):
    case_fields = ("escalation_reason",)
    escalation_reason = forms.CharField(
        label=_("reason for escalation"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    field_order = ["escalation_reason", "note"]


class TeamMemberForm(forms.Form):
    """Someone joins the joint team (联合调处): a colleague with an account, from the grid, the
    station and street, or a department (selectors.team_candidates), or a named person
    without one, with their unit and role."""

    account = forms.TypedChoiceField(label=_("colleague with an account"), coerce=int, required=False,
                                     empty_value=None)
    name = forms.CharField(label=_("or: name of someone without an account"), max_length=100, required=False)
    unit = forms.CharField(label=_("their unit"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("their role in the team"), required=False, choices=[
        ("", _("— choose —")), *[(r.value, r.label) for r in (
            TeamRole.CADRE, TeamRole.STREET_CADRE, TeamRole.JUDICIAL, TeamRole.UNIT_STAFF, TeamRole.VOLUNTEER)]])

    def __init__(self, *args, candidates=(), **kwargs):
        kwargs.setdefault("prefix", "team")
        super().__init__(*args, **kwargs)
        self.people = {user.pk: (user, role) for user, role in candidates}
        self.fields["account"].choices = [("", _("— choose —"))] + [
            (user.pk, f"{user.get_full_name() or user.username}（{TeamRole(role).label}）")
            for user, role in candidates]

    def clean(self):
        cleaned = super().clean()
        account, name = cleaned.get("account"), (cleaned.get("name") or "").strip()
        if account is None and not name:
            self.add_error("account", _("Choose a colleague, or give the name of someone without an account."))
        elif account is not None and name:
            self.add_error("name", _("Either a colleague with an account or a named person, not both."))
        elif name and not cleaned.get("role"):
            self.add_error("role", _("Say in what role they join the team."))
        elif name and not (cleaned.get("unit") or "").strip():
            self.add_error("unit", _("Give their unit or organisation."))
        return cleaned

    def member(self) -> dict:
        """What to add: {"user", "role"} or {"name", "unit", "role"}."""
        if self.cleaned_data["account"] is not None:
            user, role = self.people[self.cleaned_data["account"]]
            return {"user": user, "role": role}
        return {"name": self.cleaned_data["name"].strip(), "unit": self.cleaned_data["unit"].strip(),
                "role": self.cleaned_data["role"]}


def _contact_label(user) -> str:
    return "{}（{}）".format(user.get_full_name() or user.username, user.department_names or "—")


class ReferralFields(forms.Form):
    """A referral to a department: the leaders' "refer" step and a handler's direct referral
    (SendReferralForm) ask the same."""

    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.all())
    deadline = forms.DateField(label=_("deadline"), widget=DATE)
    request = forms.CharField(label=_("what is asked of the department"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    contact = forms.ModelChoiceField(
        label=_("department contact account (sees this case only)"), required=False,
        queryset=get_user_model().objects.filter(groups__name=Role.DEPARTMENT).order_by("username"),
        help_text=_("Required when the department has accounts here (chosen for you when it has one); "
                    "left empty for a department that answers by phone or on paper."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each account with its department(s), so the right one is easy to pick: the names in
        # the same query as the accounts.
        self.fields["contact"].queryset = self.fields["contact"].queryset.annotate(
            department_names=StringAgg("departments__name", delimiter=Value("、")))
        self.fields["contact"].label_from_instance = _contact_label
        if not self.is_bound:
            self.initial.setdefault("deadline", timezone.localdate() + timedelta(days=10))
            # shown on every case page a leader or handler opens: the options kept per process
            # (grids.reference; forgotten on a change of a department or its contacts), while a
            # sent form is checked against the tables themselves
            for name, choices in kept("referral-choices", self._choices).items():
                self.fields[name].choices = choices

    def _choices(self) -> dict[str, list]:
        return {name: [(str(value), label) for value, label in self.fields[name].choices]
                for name in ("department", "contact")}

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        check_between(deadline, **deadline_bounds())
        return deadline

    def clean(self):
        """A department with accounts here is reached through one of them: else the referral
        would reach nobody. With exactly one, it is the one; a department without accounts
        answers by phone or on paper (its answer is recorded by the handler), no contact."""
        cleaned = super().clean()
        department = cleaned.get("department")
        if department is None or "contact" in self.errors:
            return cleaned
        contact = cleaned.get("contact")
        if contact is not None:
            if not department.contacts.filter(pk=contact.pk).exists():
                self.add_error("contact", _("This account is not a contact of the chosen department."))
            return cleaned
        contacts = list(self.fields["contact"].queryset.filter(departments=department)[:2])
        if len(contacts) == 1:
            cleaned["contact"] = contacts[0]
            # shown as chosen if the form comes back for another field's error
            self.data = self.data.copy()
            self.data[self.add_prefix("contact")] = str(contacts[0].pk)
        elif contacts:
            self.add_error("contact", _("%(department)s has several contact accounts: choose the one "
                                        "who is to receive this referral.") % {"department": department.name})
        return cleaned

    def referral(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("department", "deadline", "request", "contact")}


class ReferForm(ReferralFields, TransitionForm):
    case_fields = ("referred_to",)
    field_order = ["department", "deadline", "request", "contact", "note"]

    def changes(self):
        return {"referred_to": self.cleaned_data["department"].name}

    def extra(self):
        return {"referral": self.referral()}


class SendReferralForm(ReferralFields):
    """转办 without escalating: the case stays with its handler (cases/loop.py send_referral)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "send_referral")  # ids unique on the case page (a11y)
        super().__init__(*args, **kwargs)


class SettleOnSpotForm(TransitionForm):
    """当场化解: what the handler did and what the parties agreed, there and then."""

    case_fields = ("resolution",)
    resolution = forms.CharField(
        label=_("how it was settled on the spot"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000,
        help_text=_("Who was there, what each side agreed to, and what the handler did."),
    )
    field_order = ["resolution", "note"]


class ResolveForm(TransitionForm):
    case_fields = ("resolution", "settled_without_agreement")
    resolution = forms.CharField(
        label=_("resolution summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
    settled_without_agreement = forms.BooleanField(
        label=_("Settled without a written agreement (oral settlement, own reconciliation)"),
        required=False,
    )
    field_order = ["resolution", "settled_without_agreement", "note"]

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        # Only a case in mediation needs an agreement or a recorded settlement.
        if case.state != "mediating" or hasattr(case, "agreement"):
            del self.fields["settled_without_agreement"]

    def clean(self):
        cleaned = super().clean()
        if "settled_without_agreement" in self.fields and not cleaned.get("settled_without_agreement"):
            self.add_error("settled_without_agreement", _(
                "Record the mediation agreement first, or tick this if the parties settled "
                "without a written one."))
        return cleaned

    def changes(self):
        return {"resolution": self.cleaned_data["resolution"],
                "settled_without_agreement": self.cleaned_data.get("settled_without_agreement", False)}


class ReopenForm(TransitionForm):
    note = forms.CharField(label=_("Why is it reopened (e.g. the agreement was broken)?"),
                           max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(TransitionForm):
    case_fields = ("withdrawal_reason",)
    withdrawal_reason = forms.CharField(
        label=_("reason for withdrawal"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    field_order = ["withdrawal_reason", "note"]


# --- closing the loop ----------------------------------------------------------------------

class SupervisionForm(forms.Form):
    """督办: an instruction with a deadline to a chosen person in scope (the lead handler by
    default; see selectors.supervision_candidates)."""

    assignee = forms.TypedChoiceField(label=_("who is to act"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(label=_("instruction"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("deadline"), widget=DATE)

    def __init__(self, *args, candidates=(), **kwargs):
        kwargs.setdefault("auto_id", "id_supervision_%s")  # ids unique on the case page (a11y)
        super().__init__(*args, **kwargs)
        self.people = {user.pk: user for user, _label in candidates}
        self.fields["assignee"].choices = [
            (user.pk, f"{user.get_full_name() or user.get_username()}（{label}）") for user, label in candidates
        ]
        if candidates:
            self.fields["assignee"].initial = candidates[0][0].pk

    def clean_assignee(self):
        """A listed person (TypedChoiceField checked the choice), or None: the lead handler."""
        chosen = self.cleaned_data["assignee"]
        return None if chosen is None else self.people[chosen]

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        check_between(deadline, **deadline_bounds())
        return deadline


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("what was done"), max_length=5000)


class ReferralDecisionForm(forms.Form):
    """A leader approves a handler's referral, or does not and says why."""

    decision = forms.ChoiceField(label=_("approval"), widget=forms.RadioSelect, choices=[
        ("approve", _("Approve: send it to the department")), ("decline", _("Do not approve"))])
    note = forms.CharField(label=_("instruction or reason"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when the referral is not approved."))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why the referral is not approved."))
        return cleaned


class ReferralCloseForm(forms.Form):
    status = forms.ChoiceField(label=_("outcome"), choices=[
        ("handled", _("Handled")), ("returned", _("Returned"))])
    feedback = forms.CharField(label=_("department's feedback"), max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    fulfilled = forms.TypedChoiceField(
        label=_("Was the agreement kept?"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes, kept")), ("no", _("No, broken: reopen the mediation"))],
        widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label=_("parties' satisfaction"), choices=Satisfaction.choices)
    note = forms.CharField(label=_("what the parties said"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CallForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("community grid"), queryset=None)
    message = forms.CharField(label=_("what is needed"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("answer"), max_length=2000)


class MeetingForm(forms.Form):
    """A joint meeting of a street, or of a district's mediation centre (区矛调中心联席会议): the
    form offers the places the leader leads, one of them chosen."""

    street = forms.ModelChoiceField(label=_("street"), queryset=None, required=False)
    district = forms.ModelChoiceField(label=_("district"), queryset=None, required=False)
    held_on = forms.DateTimeField(label=_("when"), widget=DATETIME)
    place = forms.CharField(label=_("where"), max_length=100, initial="街道综治中心会议室")
    attendees = forms.CharField(
        label=_("attendees"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        initial="街道、派出所、各社区、物业公司、辖区学校")

    def __init__(self, *args, streets, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, places in (("street", streets), ("district", districts)):
            if places is None or not places.exists():
                del self.fields[name]
            else:
                self.fields[name].queryset = places
        offered = [name for name in ("street", "district") if name in self.fields]
        if len(offered) == 1 and len(self.fields[offered[0]].queryset) == 1:
            self.fields[offered[0]].initial = self.fields[offered[0]].queryset[0].pk

    def clean(self):
        cleaned = super().clean()
        street, district = cleaned.get("street"), cleaned.get("district")
        if street and district:
            raise forms.ValidationError(_("Choose either a street or a district, not both."))
        if not street and not district and not self.errors:
            field = "street" if "street" in self.fields else "district"
            self.add_error(field, _("Choose whose joint meeting this is."))
        return cleaned

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        now = timezone.now()
        year = timedelta(days=366)
        check_between(held_on, earliest=now - year, latest=now + year)
        return held_on


class DecisionForm(forms.Form):
    decision = forms.CharField(label=_("decision"), max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.ModelChoiceField(label=_("assign the work to"), required=False, queryset=None)
    deadline = forms.DateField(label=_("deadline"), required=False, widget=DATE)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        check_between(deadline, **deadline_bounds())
        return deadline

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("assignee") and not cleaned.get("deadline"):
            self.add_error("deadline", _("Give a deadline for the assigned work."))
        return cleaned


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("minutes"), max_length=20000, required=False,
                              widget=forms.Textarea(attrs={"rows": 6}))
