"""The transition registry: one entry per transition of the case state machine, and nothing
else lists transitions. The state graph and same-row conditions are the @transition methods on
`Case` (cases/models/case.py); everything else about a step is here:

  label      what the button and the timeline call it
  form       its small form (cases/forms.py); the form's `case_fields` are the fields it may set
  roles      the roles, held on the case's place, that may take it (cases/permissions.py reads it)
  roles_from narrower roles when leaving certain states
  note_required  whether the note must say why
  unmet      the message for each unmet condition, keyed by the condition function itself
  prepare    run before the transition (e.g. due date from the rules, which the condition needs)
  effects    run after it, in the same transaction; each may add to the timeline event's payload
             and is handed `notify` (cases.notices.notify) by the runner, so this module stays
             below the access rules that notices need

The workflow runner (cases/workflow.py), the capabilities (cases/permissions.py), the case page
and its tests all read this registry; a test checks it against django-fsm's public API.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.roles import Role
from grids.selectors import leaders_over_grid

from . import grants
from .choices import EventKind, EventReason, NoticeKind, ReferralStatus, Risk, State
from .due import compute_due
from .errors import WorkflowError
from .forms import (
    EscalateForm,
    ReferForm,
    ReopenForm,
    ResolveForm,
    SettleOnSpotForm,
    TransitionForm,
    TriageForm,
    WithdrawForm,
)
from .models import Case, CaseTeamMember, FollowUp, Referral
from .timeline import record_event

W, O, AUX, SL, STL, ADM = (
    Role.WORKER, Role.OFFICER, Role.AUXILIARY, Role.STATION_LEADER, Role.STREET_LEADER, Role.ADMIN,
)
DL, BL = Role.DISTRICT_LEADER, Role.BUREAU_LEADER
LEADERS = frozenset({SL, STL, DL, BL, ADM})
DISTRICT_CENTRE = frozenset({DL, ADM})  # what the district's mediation centre decides
HANDLERS = frozenset({W, O}) | LEADERS  # those who carry a case on the ground, and above


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: str
    form: type[TransitionForm]
    roles: frozenset[str]
    roles_from: dict = field(default_factory=dict)  # {source state: roles}
    note_required: bool = False
    unmet: dict = field(default_factory=dict)       # {condition function: message}
    prepare: tuple = ()
    effects: tuple = ()

    @property
    def fields(self) -> frozenset[str]:
        """The case fields this transition's form may set; the workflow refuses any other."""
        return frozenset(self.form.case_fields)

    def roles_for(self, state: str) -> frozenset[str]:
        return self.roles_from.get(state, self.roles)


# --- preparations and side effects (each: *, case, actor, extra[, notify]) ------------------


def due_from_rules(*, case, actor, extra):
    """Triage sets risk and tier: the due date follows the rules again, from now."""
    case.due_at = compute_due(risk=case.risk, tier=case.tier, start=timezone.now())


def joint_team(*, case, actor, extra, notify) -> dict:
    """Put the chosen colleagues on the case's joint team (联合调处); tell the lead handler."""
    team = extra.get("team", ())
    for member, role in team:
        CaseTeamMember.objects.get_or_create(case=case, user=member, defaults={"role": role})
    if case.lead_handler_id and case.lead_handler_id != actor.pk:
        notify(recipients=[case.lead_handler], kind=NoticeKind.ASSIGNED, case=case,
               key=f"assigned:{case.pk}:{case.version}")
    data = {"due_at": case.due_at}
    if team:
        data["team"] = "、".join(m.get_full_name() or m.get_username() for m, _role in team)
    return data


def open_referral(*, case, actor, notify, referral: dict, status=ReferralStatus.SENT) -> Referral:
    """A referral to a department: for the "refer" step and for a handler's direct referral
    (cases/loop.py send_referral). Sent at once, or awaiting a leader's approval."""
    created = Referral.objects.create(case=case, sent_by=actor, status=status, **referral)
    if status == ReferralStatus.SENT:
        hand_to_department(created, notify=notify)
    return created


def hand_to_department(referral, *, notify) -> None:
    """The referral reaches the department: its contact's grant on this one case, and the
    notice."""
    if referral.contact is not None:
        grants.grant(user=referral.contact, case=referral.case, reason=grants.DEPARTMENT)
        notify(recipients=[referral.contact], kind=NoticeKind.REFERRAL, case=referral.case,
               key=f"referral:{referral.pk}", text=referral.request)


def referral_to_department(*, case, actor, extra, notify) -> dict:
    """The "refer" step's referral (see open_referral)."""
    referral = extra.get("referral")
    if not referral:
        raise WorkflowError(_("Choose the department and the deadline."))
    open_referral(case=case, actor=actor, notify=notify, referral=referral)
    return {}


def major_risk_on_the_ledger(*, case, actor, extra, notify) -> dict:
    """A case triaged as major risk is on the ledger at once: its leaders are told."""
    if case.risk == Risk.MAJOR:
        notify(recipients=leaders_over_grid(case.grid_id, street=True), kind=NoticeKind.LEDGER, case=case,
               key=f"ledger:{case.pk}:major")
    return {}


def on_the_ledger(*, case, actor, extra, notify) -> dict:
    """An escalated case is on the ledger of the station and street leaders over its grid."""
    notify(recipients=leaders_over_grid(case.grid_id, street=True), kind=NoticeKind.LEDGER, case=case,
           key=f"ledger:{case.pk}:{case.version}", text=case.escalation_reason)
    return {}


def to_the_district(*, case, actor, extra, notify) -> dict:
    """提级: the district centre's leaders over the grid are told why (the note)."""
    notify(recipients=leaders_over_grid(case.grid_id, station=False, district=True), kind=NoticeKind.LEDGER, case=case,
           key=f"district:{case.pk}:{case.version}", text=extra.get("note", ""))
    return {}


def back_to_the_street(*, case, actor, extra, notify) -> dict:
    """Sent back with an instruction (the note): the street's leaders over the grid are told."""
    notify(recipients=leaders_over_grid(case.grid_id, street=True), kind=NoticeKind.LEDGER, case=case,
           key=f"sent-back:{case.pk}:{case.version}", text=extra.get("note", ""))
    return {}


def follow_up_visit(*, case, actor, extra, notify) -> dict:
    """A resolved case gets a follow-up visit N days later (default 7)."""
    resolved_on = timezone.localdate(case.resolved_at or timezone.now())
    FollowUp.objects.create(case=case, due_on=resolved_on + timedelta(days=settings.FENGQIAO_FOLLOW_UP_DAYS))
    return {}


def end_with_the_case(*, case, actor, extra, notify) -> dict:
    """A closed or withdrawn case ends the departments' part in it (the rule: cases/loop.py
    `_end_department_grant`). A referral still awaiting a leader's approval is not approved,
    the case having ended, so it leaves the leaders' work bench (its sender is told); then
    every department contact's grant on the case ends, whether or not their referral is still
    open."""
    reason = EventReason.CASE_ENDED
    # Locked before the grants are read: a leader approving at this moment either finishes
    # first (its grant is then seen and revoked below) or finds the referral decided.
    awaiting = (Referral.objects.select_for_update(of=("self",))
                .filter(case=case, status=ReferralStatus.AWAITING).select_related("department", "sent_by"))
    for referral in awaiting:
        referral.status, referral.closed_at = ReferralStatus.DECLINED, timezone.now()
        referral.decision_note = str(reason.label)  # shown on the card, like a leader's reason
        referral.save(update_fields=["status", "closed_at", "decision_note"])
        record_event(case=case, actor=actor, kind=EventKind.REFERRAL, data={
            "department": referral.department.name, "status": referral.status, "reason": reason})
        if referral.sent_by_id != actor.pk:
            notify(recipients=[referral.sent_by], kind=NoticeKind.APPROVAL, case=case,
                   key=f"declined:{referral.pk}", text=referral.decision_note)
    grants.revoke_all(case=case, reason=grants.DEPARTMENT)
    return {}


# --- the registry ---------------------------------------------------------------------------

MEDIATOR_FIRST = _("Choose a mediator from the mediation supermarket first.")

SPECS = [
    TransitionSpec(
        "triage", _("Triage"), TriageForm, roles=frozenset({O}) | LEADERS,
        unmet={Case.is_fully_triaged: _("Give the category, risk level, tier and lead handler.")},
        prepare=(due_from_rules,), effects=(joint_team, major_risk_on_the_ledger),
    ),
    TransitionSpec(
        "start_mediation", _("Start mediation"), TransitionForm, roles=frozenset({AUX}) | HANDLERS,
        unmet={Case.mediator_chosen: MEDIATOR_FIRST},
    ),
    TransitionSpec(
        "escalate", _("Escalate"), EscalateForm, roles=frozenset({O}) | LEADERS,
        unmet={Case.has_escalation_reason: _("Say why the case is escalated.")},
        effects=(on_the_ledger,),
    ),
    TransitionSpec(
        # 提级: above the street, to the district's mediation centre (区/县矛调中心).
        "raise_to_district", _("Raise to the district centre"), TransitionForm,
        roles=frozenset({STL, ADM}), note_required=True, effects=(to_the_district,),
    ),
    TransitionSpec(
        "district_take", _("Take it on at the district"), TransitionForm, roles=DISTRICT_CENTRE,
        unmet={Case.mediator_chosen: MEDIATOR_FIRST},
    ),
    TransitionSpec(
        "send_back", _("Send back to the street"), TransitionForm, roles=DISTRICT_CENTRE,
        note_required=True, effects=(back_to_the_street,),
    ),
    TransitionSpec(
        "refer", _("Refer to a department"), ReferForm, roles=LEADERS,
        roles_from={State.DISTRICT: DISTRICT_CENTRE},
        unmet={Case.has_referral: _("Choose the department and the deadline.")},
        effects=(referral_to_department,),
    ),
    TransitionSpec(
        "assign_mediation", _("Put a mediation team on it"), TransitionForm, roles=LEADERS,
        unmet={Case.mediator_chosen: MEDIATOR_FIRST},
    ),
    TransitionSpec(
        "resolve", _("Mark resolved"), ResolveForm, roles=HANDLERS,
        # A case the station and street took up is theirs to resolve.
        roles_from={State.ESCALATED: LEADERS, State.REFERRED: LEADERS, State.DISTRICT: DISTRICT_CENTRE},
        unmet={Case.has_resolution: _(
            "Record the mediation agreement, or that the parties settled without one, and the "
            "resolution summary.")},
        effects=(follow_up_visit,),
    ),
    TransitionSpec(
        # Most 110 disputes end this way: calmed by the officer or grid worker who came.
        "settle_on_spot", _("Settle on the spot"), SettleOnSpotForm, roles=HANDLERS,
        unmet={
            Case.handled_close_to_home: _(
                "Settling on the spot is for a case at the grid or community police room tier: "
                "triage it at that tier, or mediate it."),
            Case.has_resolution: _("Say how the dispute was settled."),
        },
        effects=(follow_up_visit,),
    ),
    TransitionSpec("reopen", _("Reopen"), ReopenForm, roles=HANDLERS, note_required=True),
    TransitionSpec(
        "close", _("Close the case"), TransitionForm, roles=HANDLERS,
        unmet={Case.follow_up_done: _("Record a follow-up visit that found the agreement kept first.")},
        effects=(end_with_the_case,),
    ),
    TransitionSpec(
        "withdraw", _("Withdraw"), WithdrawForm, roles=HANDLERS,
        unmet={Case.has_withdrawal_reason: _("Say why the case is withdrawn.")},
        effects=(end_with_the_case,),
    ),
]
REGISTRY: dict[str, TransitionSpec] = {spec.name: spec for spec in SPECS}
LABELS = {name: spec.label for name, spec in REGISTRY.items()}


def from_state(state: str) -> list[TransitionSpec]:
    """The registry entries whose transition leaves `state`, in the state machine's order
    (django-fsm's public get_all_state_transitions)."""
    names = [t.name for t in Case().get_all_state_transitions() if t.source in (state, "*")]
    return [REGISTRY[name] for name in dict.fromkeys(names)]


def unmet_message(case: Case, name: str) -> str:
    """Say which condition of the transition is not met, in the user's words."""
    spec = REGISTRY[name]
    transition = next(t for t in case.get_all_state_transitions()
                      if t.name == name and t.source in (case.state, "*"))
    messages = [str(spec.unmet[c]) for c in transition.conditions if not c(case) and c in spec.unmet]
    return " ".join(messages) or str(_("The case is not ready for this step: fill in what it asks for."))
