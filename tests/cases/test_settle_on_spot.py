"""当场化解 (issue 10, item 1): an officer or grid worker who calms a dispute on the spot
resolves the triaged case with a summary, without the mediation supermarket; counted as such
in the leaders' figures."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, FollowUp
from tests.factories import act, case_in_state

pytestmark = pytest.mark.django_db


def settle(client, case, resolution="民警到场劝解，双方同意各退一步，当场和解。"):
    return client.post(reverse("cases:transition", args=[case.pk, "settle_on_spot"]), {
        "settle_on_spot-version": case.version, "settle_on_spot-resolution": resolution})


def test_the_officer_settles_a_triaged_case_on_the_spot(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)  # tier: grid
    client.force_login(world.officer1)
    page = client.get(case.get_absolute_url())
    assert "settle_on_spot" in [action for action, _label, _form in page.context["transition_forms"]]
    assert "当场化解" in page.content.decode()

    assert settle(client, case).status_code == 302
    case.refresh_from_db()
    assert case.state == "resolved" and case.settled_without_agreement and case.resolved_at
    assert case.resolution.startswith("民警到场劝解")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.actor, event.action, event.from_state, event.to_state) == (
        world.officer1, "settle_on_spot", "triaged", "resolved")
    assert FollowUp.objects.filter(case=case, done_at__isnull=True).exists()  # the loop goes on
    html = client.get(case.get_absolute_url()).content.decode()
    assert "当场化解" in html and "民警到场劝解" in html


def test_without_a_summary_nothing_changes_and_the_error_is_next_to_the_field(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    response = settle(client, case, resolution="   ")
    assert response.status_code == 400
    forms = {action: form for action, _label, form in response.context["transition_forms"]}
    assert "resolution" in forms["settle_on_spot"].errors
    assert Case.objects.get(pk=case.pk).state == "triaged"


def test_a_case_triaged_for_the_joint_or_street_tier_is_mediated_not_settled_on_the_spot(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=case.pk).update(tier="street")
    client.force_login(world.officer1)
    response = settle(client, Case.objects.get(pk=case.pk))
    assert response.status_code == 409
    assert "网格或警务室层级" in response.content.decode()
    assert "民警到场劝解" in response.content.decode()  # what was typed is kept
    assert Case.objects.get(pk=case.pk).state == "triaged"


def test_an_auxiliary_cannot_settle_alone(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.auxiliary1)
    assert settle(client, case).status_code == 409
    assert Case.objects.get(pk=case.pk).state == "triaged"


def test_the_dashboard_counts_settlements_on_the_spot(client, world):
    on_spot = [case_in_state("triaged", grid=world.grid1, actor=world.officer1) for _ in range(2)]
    for case in on_spot:
        act(case, "settle_on_spot", world.officer1)
    mediated = case_in_state("resolved", grid=world.grid1, actor=world.officer1)  # through mediation
    assert mediated.state == "resolved"
    client.force_login(world.streetlead)
    page = client.get(reverse("cases:dashboard"))
    assert page.context["d"].settled_on_spot == 2
    assert "本年当场化解" in page.content.decode()
    # a settlement that did not hold (reopened) no longer counts
    reopened = act(Case.objects.get(pk=on_spot[0].pk), "reopen", world.officer1)
    assert client.get(reverse("cases:dashboard")).context["d"].settled_on_spot == 1
    # ... and once mediated to a resolution, it counts as mediated, not as settled on the spot
    assert act(reopened, "resolve", world.officer1).state == "resolved"
    assert client.get(reverse("cases:dashboard")).context["d"].settled_on_spot == 1
