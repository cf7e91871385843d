"""Every transition x every role x inside / outside its scope. A refused transition leaves the
state and the timeline exactly as they were."""

import pytest

from cases import workflow
from cases.models import Case, CaseEvent
from cases.transitions import REGISTRY
from tests.factories import (
    NOTES,
    TRANSITION_CHANGES,
    case_in_state,
    choose,
    follow_up_kept,
    transition_extra,
)

pytestmark = pytest.mark.django_db

# (transition, source state, target state)
STEPS = {
    "triage": ("reported", "triaged"),
    "start_mediation": ("triaged", "mediating"),
    "escalate": ("triaged", "escalated"),
    "refer": ("escalated", "referred"),
    "assign_mediation": ("escalated", "mediating"),
    "assign_mediation_referred": ("referred", "mediating"),
    "resolve_mediating": ("mediating", "resolved"),
    "resolve_escalated": ("escalated", "resolved"),
    "reopen": ("resolved", "mediating"),
    "close": ("resolved", "closed"),
    "withdraw": ("reported", "withdrawn"),
    "settle_on_spot": ("triaged", "resolved"),
    "raise_to_district": ("escalated", "district"),
    "raise_to_district_referred": ("referred", "district"),
    "district_take": ("district", "mediating"),
    "send_back": ("district", "escalated"),
    "refer_district": ("district", "referred"),
    "resolve_district": ("district", "resolved"),
}

# Users relative to the case on grid1 (worker1's grid, under police grid 1 of Qifeng):
# districtlead leads 临江区 (both streets), bureaulead its police bureau (both stations).
INSIDE = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "districtlead", "bureaulead", "admin"]
OUTSIDE = ["worker2", "officer2", "auxiliary2", "mediator1", "stationlead_fh", "streetlead_fh", "districtlead_dh"]

LEADERS = {"stationlead", "streetlead", "districtlead", "bureaulead", "admin"}
DISTRICT_CENTRE = {"districtlead", "admin"}
ALLOWED = {
    "triage": {"officer1"} | LEADERS,
    "start_mediation": {"worker1", "officer1", "auxiliary1"} | LEADERS,
    "escalate": {"officer1"} | LEADERS,
    "refer": LEADERS,
    "assign_mediation": LEADERS,
    "assign_mediation_referred": LEADERS,
    "resolve_mediating": {"worker1", "officer1"} | LEADERS,
    "resolve_escalated": LEADERS,
    "reopen": {"worker1", "officer1"} | LEADERS,
    "close": {"worker1", "officer1"} | LEADERS,
    "withdraw": {"worker1", "officer1"} | LEADERS,
    "settle_on_spot": {"worker1", "officer1"} | LEADERS,
    # 提级 is the street's decision; what happens at the district is the district centre's.
    "raise_to_district": {"streetlead", "admin"},
    "raise_to_district_referred": {"streetlead", "admin"},
    "district_take": DISTRICT_CENTRE,
    "send_back": DISTRICT_CENTRE,
    "refer_district": DISTRICT_CENTRE,
    "resolve_district": DISTRICT_CENTRE,
}


@pytest.mark.parametrize("username", INSIDE + OUTSIDE)
@pytest.mark.parametrize("step", list(STEPS))
def test_transition_is_allowed_exactly_for_the_right_roles_in_scope(world, step, username):
    source, target = STEPS[step]
    action = step if step in REGISTRY else step.rsplit("_", 1)[0]  # "resolve_district" -> "resolve"
    case = case_in_state(source, grid=world.grid1, actor=world.admin)
    if action in ("start_mediation", "assign_mediation", "district_take"):
        choose(case, world.admin)  # the condition: a mediator has been chosen
    if action == "close":
        follow_up_kept(case, world.admin)  # the condition: a follow-up found the agreement kept
    actor = getattr(world, username)
    events_before = list(CaseEvent.objects.filter(case=case).values_list("id", flat=True))
    changes = TRANSITION_CHANGES.get(action, lambda c, a: {})(case, world.officer1)

    def run():
        return workflow.run_transition(
            case_id=case.pk, action=action, actor=actor, version=case.version,
            changes=changes, note=NOTES.get(action, ""), **transition_extra(action, case, actor),
        )

    if username in ALLOWED[step]:
        assert run().state == target
        event = CaseEvent.objects.filter(case=case).latest("id")
        assert (event.actor, event.from_state, event.to_state) == (actor, source, target)
    else:
        with pytest.raises(workflow.TransitionNotAvailable):
            run()
        case.refresh_from_db()
        assert case.state == source
        assert list(CaseEvent.objects.filter(case=case).values_list("id", flat=True)) == events_before


def test_a_transition_from_the_wrong_state_is_refused(world):
    case = case_in_state("reported", grid=world.grid1, actor=world.admin)
    with pytest.raises(workflow.TransitionNotAvailable):
        workflow.run_transition(case_id=case.pk, action="close", actor=world.admin,
                                version=case.version)
    assert Case.objects.get(pk=case.pk).state == "reported"


@pytest.mark.parametrize("action,field", [
    ("escalate", "escalation_reason"), ("withdraw", "withdrawal_reason"),
    ("resolve", "resolution"), ("refer", "referred_to"),
])
def test_a_transition_without_its_reason_is_refused_and_changes_nothing(world, action, field):
    source = {"escalate": "triaged", "withdraw": "reported", "resolve": "mediating",
              "refer": "escalated"}[action]
    case = case_in_state(source, grid=world.grid1, actor=world.admin)
    count = case.events.count()
    with pytest.raises(workflow.WorkflowError):
        workflow.run_transition(case_id=case.pk, action=action, actor=world.admin,
                                version=case.version, changes={field: "   "})
    case.refresh_from_db()
    assert case.state == source and case.events.count() == count


def test_reopening_needs_a_note(world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.admin)
    with pytest.raises(workflow.WorkflowError):
        workflow.run_transition(case_id=case.pk, action="reopen", actor=world.admin,
                                version=case.version, note="")
    assert Case.objects.get(pk=case.pk).state == "resolved"


def test_the_state_cannot_be_set_directly(world):
    case = case_in_state("reported", grid=world.grid1, actor=world.admin)
    with pytest.raises(AttributeError):
        case.state = "closed"
