"""The joint team reaches beyond the grid (issue 10, item 6): the station, the street office,
the judicial office and other units' staff, and named people without an account with their
unit; each member shown with their real role."""

import pytest
from django.urls import reverse

from cases.models import CaseEvent, CaseTeamMember
from grids import access
from grids.roles import Role
from tests.factories import a_department, case_in_state, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def judicial(world):
    user = person("judicial_test", Role.DEPARTMENT)
    user.first_name = "司法所张所长"
    user.save()
    a_department("栖凤司法所", "justice").contacts.add(user)
    return user


def test_the_team_page_offers_colleagues_beyond_the_grid_with_their_real_roles(client, world, judicial):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    page = client.get(reverse("cases:team", args=[case.pk]))
    assert page.status_code == 200
    offered = dict(page.context["form"].fields["account"].choices)
    assert "辅警" in offered[world.auxiliary1.pk]          # an auxiliary is not shown as 民警
    assert "派出所领导" in offered[world.stationlead.pk]
    assert "街道干部" in offered[world.streetlead.pk]
    assert "司法所" in offered[judicial.pk]
    assert world.worker2.pk not in offered                 # another grid's worker


def test_a_judicial_office_colleague_joins_sees_the_case_and_leaves(client, world, judicial):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:team", args=[case.pk]), {"team-account": judicial.pk})
    assert response.status_code == 302
    member = CaseTeamMember.objects.get(case=case, user=judicial)
    assert member.role == "judicial"
    event = CaseEvent.objects.filter(case=case, kind="team_changed").latest("id")
    assert event.data == {"added": "司法所张所长"}
    access.forget(judicial)
    client.force_login(judicial)
    assert client.get(case.get_absolute_url()).status_code == 200  # on the team: may read the case

    client.force_login(world.officer1)
    assert client.post(reverse("cases:team_remove", args=[case.pk, member.pk])).status_code == 302
    assert not CaseTeamMember.objects.filter(pk=member.pk).exists()
    assert CaseEvent.objects.filter(case=case, kind="team_changed").latest("id").data == {"removed": "司法所张所长"}
    access.forget(judicial)
    client.force_login(judicial)
    assert client.get(case.get_absolute_url()).status_code == 404  # off the team: no longer


def test_a_named_person_without_an_account_joins_with_their_unit(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    response = client.post(reverse("cases:team", args=[case.pk]), {
        "team-name": "刘芳", "team-unit": "栖凤社区居委会", "team-role": "cadre"})
    assert response.status_code == 302
    html = client.get(case.get_absolute_url()).content.decode()
    assert "刘芳（社区干部，栖凤社区居委会）" in html
    assert CaseEvent.objects.filter(case=case, kind="team_changed").latest("id").data == {
        "added": "刘芳（栖凤社区居委会）"}


def test_bad_input_is_shown_next_to_the_field_and_kept(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:team", args=[case.pk]), {"team-name": "王师傅", "team-role": "unit_staff"})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert "王师傅" in response.content.decode()
    response = client.post(reverse("cases:team", args=[case.pk]), {})
    assert response.status_code == 400 and "account" in response.context["form"].errors
    assert not CaseTeamMember.objects.filter(case=case).exclude(user__isnull=False).exists()


def test_who_may_change_the_team(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    url = reverse("cases:team", args=[case.pk])
    for user, status in ((world.auxiliary1, 403), (world.worker2, 404), (world.stationlead, 200),
                         (world.streetlead_fh, 404)):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    closed = case_in_state("closed", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    assert client.get(reverse("cases:team", args=[closed.pk])).status_code == 403


def test_the_triage_form_names_each_colleagues_role(client, world):
    from tests.factories import make_case

    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    forms = {a: f for a, _l, f in client.get(case.get_absolute_url()).context["transition_forms"]}
    labels = dict((c.value, c.label) if hasattr(c, "value") else c for c in forms["triage"].fields["team"].choices)
    labels = {int(str(k)): v for k, v in labels.items()}
    assert labels[world.auxiliary1.pk].endswith("（辅警）")
    assert labels[world.officer1.pk].endswith("（民警）")


def test_the_triage_form_offers_the_grids_people_in_both_lists_and_refuses_anyone_else(client, world):
    """The lead handler's select and the team's checkboxes list the grid's workers and police
    (drawn from the people the page loaded once); someone else posted is an error at the field."""
    import re

    from cases import selectors
    from tests.factories import make_case

    case = make_case(grid=world.grid1, actor=world.worker1)
    people = {user.pk for user, _role in selectors.handlers_for(case)}
    assert {world.worker1.pk, world.officer1.pk, world.auxiliary1.pk} <= people
    assert world.worker2.pk not in people  # grid 2's worker
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    select = re.search(r'<select name="triage-lead_handler".*?</select>', html, re.S).group(0)
    assert {int(v) for v in re.findall(r'<option value="(\d+)"', select)} == people
    assert {int(v) for v in re.findall(r'name="triage-team" value="(\d+)"', html)} == people
    response = client.post(reverse("cases:transition", args=[case.pk, "triage"]), {
        "triage-version": case.version, "triage-category": case.category, "triage-risk": "general",
        "triage-tier": "grid", "triage-lead_handler": world.worker2.pk, "triage-note": "分流"})
    assert response.status_code == 400
    assert "lead_handler" in response.context["transition_forms"][0][2].errors
