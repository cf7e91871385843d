"""110 incidents: seen by place, listed and searched, turned into a case in one step or marked
handled on the spot — once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.addresses import address_key
from cases.models import Case
from grids.models import GridLink
from incidents.models import Incident, IncidentStatus
from tests.helpers import assert_same_query_count

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def an_incident(police_grid, number, *, address="栖凤社区3幢2单元502室", phone="13812345678", days_ago=1,
                **fields):
    return Incident.objects.create(
        number=number, reported_at=timezone.now() - timedelta(days=days_ago), caller_name="张桂英",
        caller_phone=phone, address=address, address_key=address_key(address), kind="邻里纠纷",
        summary="楼上装修漏水，双方争吵，请求民警到场。", police_grid=police_grid, **fields)


@pytest.fixture
def incidents(world):
    pg1, pg2 = world.grid1.police_grids.get(), world.grid2.police_grids.get()
    return {
        "pg1": an_incident(pg1, "110202612010001"),
        "pg2": an_incident(pg2, "110202612010002", address="凤鸣社区1幢1单元101室", phone="13900001111"),
        "fh": an_incident(world.grid_fh.police_grids.get(), "110202612010003", address="凤凰社区2幢"),
    }


def listed(client, query="") -> set[str]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return {incident.number for incident in response.context["page"].object_list}


@pytest.mark.parametrize("username,expected", [
    ("officer1", {"pg1"}),
    ("auxiliary1", {"pg1"}),
    ("officer2", {"pg2"}),
    ("stationlead", {"pg1", "pg2"}),
    ("streetlead", {"pg1", "pg2"}),
    ("streetlead_fh", {"fh"}),
    ("admin", {"pg1", "pg2", "fh"}),
])
def test_each_officer_and_leader_sees_the_incidents_of_their_places(client, world, incidents, username, expected):
    client.force_login(getattr(world, username))
    assert listed(client) == {incidents[key].number for key in expected}


def test_an_incident_outside_the_scope_is_not_found(client, world, incidents):
    client.force_login(world.officer2)
    incident = incidents["pg1"]
    assert client.get(incident.get_absolute_url()).status_code == 404
    assert client.get(reverse("incidents:to_case", args=[incident.pk])).status_code == 404
    assert client.post(reverse("incidents:on_spot", args=[incident.pk]), {"on_spot-note": "已处置"}).status_code == 404
    client.force_login(world.streetlead_fh)
    assert client.get(incident.get_absolute_url()).status_code == 404


def test_a_community_worker_gets_no_incident_pages(client, world, incidents):
    client.force_login(world.worker1)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("incidents:repeats")).status_code == 403
    assert client.get(incidents["pg1"].get_absolute_url()).status_code == 404
    assert 'href="/incidents/"' not in client.get(reverse("cases:workbench")).content.decode()


def test_the_navigation_offers_the_incidents_to_officers(client, world):
    client.force_login(world.officer1)
    assert f'href="{LIST}"' in client.get(reverse("cases:workbench")).content.decode()


def test_the_list_finds_an_incident_by_its_whole_number_or_part_of_its_address(client, world, incidents):
    client.force_login(world.stationlead)
    number = incidents["pg1"].number
    assert listed(client, f"q={number}") == {number}
    assert listed(client, f"q=+{number}+") == {number}
    assert listed(client, f"q={number[:-1]}") == set()  # whole numbers only
    assert listed(client, "q=凤鸣社区1幢") == {incidents["pg2"].number}


def test_the_list_filters_by_status_police_grid_code_and_dates(client, world, incidents):
    client.force_login(world.stationlead)
    pg2 = incidents["pg2"]
    Incident.objects.filter(pk=pg2.pk).update(status=IncidentStatus.ON_SPOT,
                                              reported_at=timezone.now() - timedelta(days=10))
    assert listed(client, "status=on_spot") == {pg2.number}
    assert listed(client, f"police_grid={pg2.police_grid.code.lower()}") == {pg2.number}
    assert listed(client, "police_grid=FH-J01") == set()  # another street's: nothing, not an error
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert listed(client, f"reported_from={since}") == {incidents["pg1"].number}
    assert listed(client, f"reported_to={since}") == {pg2.number}


def test_the_incident_list_costs_the_same_queries_for_few_and_many(client, world):
    pg1, pg2 = world.grid1.police_grids.get(), world.grid2.police_grids.get()
    for i in range(2):
        an_incident(pg1, f"F{i:04d}")
    for i in range(60):
        an_incident(pg2, f"M{i:04d}")
    client.force_login(world.stationlead)
    assert_same_query_count(client, f"{LIST}?police_grid={pg1.code}", f"{LIST}?police_grid={pg2.code}")


def test_the_callers_phone_is_in_full_for_its_officer_and_leaders_only(client, world, incidents):
    url = incidents["pg1"].get_absolute_url()
    for username in ("officer1", "stationlead", "streetlead", "admin"):
        client.force_login(getattr(world, username))
        response = client.get(url)
        assert response.context["caller_phone"] == "13812345678", username
    client.force_login(world.auxiliary1)
    response = client.get(url)
    assert response.context["caller_phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()


# --- into a case ---------------------------------------------------------------------------------


def intake_data(form_page, **overrides):
    """What the prefilled intake form sends back, with a category and a grid chosen."""
    form, parties = form_page.context["form"], form_page.context["parties"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["reported_at"] = timezone.localtime(form.initial["reported_at"]).strftime("%Y-%m-%dT%H:%M")
    data.update({"category": "neighbour", "risk": "general", "occurred_at": ""})
    data.update({"parties-TOTAL_FORMS": str(parties.total_form_count()), "parties-INITIAL_FORMS": "0",
                 "parties-MIN_NUM_FORMS": "1", "parties-MAX_NUM_FORMS": "20"})
    for index, party in enumerate(parties.forms):
        for name in party.fields:
            data[f"parties-{index}-{name}"] = party[name].value() or ""
    data.update(overrides)
    return data


def test_the_case_form_is_prefilled_from_the_incident(client, world, incidents):
    incident = incidents["pg1"]
    client.force_login(world.officer1)
    response = client.get(reverse("incidents:to_case", args=[incident.pk]))
    assert response.status_code == 200
    form, parties = response.context["form"], response.context["parties"]
    assert form["channel"].value() == "incident_110"
    assert form["incident_number"].value() == incident.number
    assert form["address"].value() == incident.address
    assert form["description"].value() == incident.summary
    assert form["reported_at"].value() == timezone.localtime(incident.reported_at).replace(tzinfo=None, microsecond=0)
    first = parties.forms[0]
    assert (first["name"].value(), first["phone"].value(), first["role"].value()) == (
        "张桂英", "13812345678", "applicant")
    # only the community grids the incident's police grid covers
    grids = {grid.pk for grid in form.fields["grid"].queryset}
    assert world.grid1.pk in grids and world.grid2.pk not in grids
    assert grids == set(GridLink.objects.filter(police_grid=incident.police_grid).values_list("community_grid_id", flat=True))


def test_logging_the_case_links_the_incident(client, world, incidents):
    incident = incidents["pg1"]
    url = reverse("incidents:to_case", args=[incident.pk])
    client.force_login(world.officer1)
    response = client.post(url, intake_data(client.get(url), grid=world.grid1.pk))
    case = Case.objects.get(incident_number=incident.number)
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.channel == "incident_110" and case.grid == world.grid1
    assert [(p.name, p.phone, p.role) for p in case.parties.all()] == [("张桂英", "13812345678", "applicant")]
    incident.refresh_from_db()
    assert (incident.status, incident.case, incident.handled_by) == ("case", case, world.officer1)
    assert incident.handled_at is not None
    # and the case list finds it by the incident number
    found = client.get(reverse("cases:list") + f"?q={incident.number}").context["page"].object_list
    assert [c.pk for c in found] == [case.pk]


def test_a_second_attempt_is_refused_and_keeps_what_was_typed(client, world, incidents):
    incident = incidents["pg1"]
    url = reverse("incidents:to_case", args=[incident.pk])
    client.force_login(world.officer1)
    data = intake_data(client.get(url), grid=world.grid1.pk, title="第一次")
    assert client.post(url, data).status_code == 302
    # somebody else, with the page open from before
    client.force_login(world.stationlead)
    response = client.post(url, {**data, "title": "第二次：楼上漏水", "intake_token": ""})
    assert response.status_code == 409
    assert 'value="第二次：楼上漏水"' in response.content.decode()
    assert not Case.objects.filter(title="第二次：楼上漏水").exists()
    assert Case.objects.filter(incident_number=incident.number).count() == 1
    incident.refresh_from_db()
    assert incident.handled_by == world.officer1
    # opened again later: back to the incident, which says what became of it
    assert client.get(url).status_code == 302


def test_a_leader_without_a_grid_under_the_incident_may_not_log_it_there(client, world, incidents):
    """Someone who sees the incident but may log on none of the grids its police grid covers."""
    from tests.factories import PoliceGridFactory, person

    lonely = PoliceGridFactory(station=incidents["pg1"].police_grid.station, code="QF-J99")
    incident = an_incident(lonely, "110202612019999")
    client.force_login(person("officer99", "community_police", lonely))
    assert client.get(incident.get_absolute_url()).status_code == 200
    assert client.get(reverse("incidents:to_case", args=[incident.pk])).status_code == 403


# --- handled on the spot --------------------------------------------------------------------------


def test_an_officer_marks_it_handled_on_the_spot(client, world, incidents):
    incident = incidents["pg1"]
    client.force_login(world.auxiliary1)
    response = client.post(reverse("incidents:on_spot", args=[incident.pk]), {"on_spot-note": "双方当场和解"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.handled_by, incident.handled_note) == ("on_spot", world.auxiliary1, "双方当场和解")
    page = client.get(incident.get_absolute_url())
    assert page.context["may_handle"] is False and page.context["on_spot_form"] is None


def test_on_the_spot_needs_a_note(client, world, incidents):
    incident = incidents["pg1"]
    client.force_login(world.officer1)
    response = client.post(reverse("incidents:on_spot", args=[incident.pk]), {"on_spot-note": " "})
    assert response.status_code == 400
    assert response.context["on_spot_form"].errors
    incident.refresh_from_db()
    assert incident.status == "new"


def test_on_the_spot_a_second_time_is_refused_and_keeps_the_note(client, world, incidents):
    incident = incidents["pg1"]
    url = reverse("incidents:on_spot", args=[incident.pk])
    client.force_login(world.officer1)
    assert client.post(url, {"on_spot-note": "劝离"}).status_code == 302
    client.force_login(world.stationlead)
    response = client.post(url, {"on_spot-note": "已调解完毕"})
    assert response.status_code == 409
    assert response.context["kept_note"] == "已调解完毕"
    incident.refresh_from_db()
    assert (incident.handled_by, incident.handled_note) == (world.officer1, "劝离")


def test_on_the_spot_is_post_only(client, world, incidents):
    client.force_login(world.officer1)
    assert client.get(reverse("incidents:on_spot", args=[incidents["pg1"].pk])).status_code == 405


def test_the_admin_masks_the_callers_phone(client, world, incidents):
    client.force_login(world.admin)
    response = client.get(reverse("admin:incidents_incident_change", args=[incidents["pg1"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "138****5678" in html and "13812345678" not in html
