"""The repeat-dispute radar: on a case page and at intake, the other cases and 110 incidents that
share a phone, an ID number or the building and unit — only those the user may see, within the
window, at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.addresses import address_key
from cases.models import Party, PersonalDataDisclosure, WarningSettings
from incidents.models import Incident
from tests.factories import make_case
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"
HOME = "栖凤社区3幢2单元502室"


def an_incident(police_grid, number, *, address=HOME, phone=PHONE, days_ago=1, **fields):
    return Incident.objects.create(
        number=number, reported_at=timezone.now() - timedelta(days=days_ago), caller_name="张桂英",
        caller_phone=phone, address=address, address_key=address_key(address), kind="邻里纠纷",
        police_grid=police_grid, **fields)


def a_case(grid, actor, *, address="梧桐路1号", phone="", id_number="", days_ago=1, title="旧案"):
    return make_case(grid=grid, actor=actor, address=address, title=title,
                     reported_at=timezone.now() - timedelta(days=days_ago),
                     parties=[Party(name="当事人", role="applicant", phone=phone, id_number=id_number)])


def radar_of(client, case):
    response = client.get(reverse("incidents:case_radar", args=[case.pk]))
    assert response.status_code == 200
    return response.context["radar"]


def why(hits) -> dict:
    return {hit.record.number: set(hit.why) for hit in hits}


@pytest.fixture
def case(world):
    """Today's case on grid1: a party with PHONE and ID_NUMBER, at HOME."""
    return make_case(grid=world.grid1, actor=world.officer1, address=HOME, title="今日新案",
                     parties=[Party(name="王建国", role="applicant", phone=PHONE, id_number=ID_NUMBER)])


def test_earlier_cases_match_by_phone_id_number_and_building(client, world, case):
    by_phone = a_case(world.grid1, world.officer1, phone=PHONE)
    by_id = a_case(world.grid1, world.officer1, id_number=ID_NUMBER.lower(), phone="13900000000")
    by_building = a_case(world.grid1, world.officer1, address="栖凤社区 3栋2单元 601")
    unrelated = a_case(world.grid1, world.officer1, address="栖凤社区3幢1单元502室", phone="13712345678")
    client.force_login(world.officer1)
    found = radar_of(client, case)
    assert why(found.cases) == {by_phone.number: {"phone"}, by_id.number: {"id_number"},
                                by_building.number: {"building"}}
    assert unrelated.number not in why(found.cases) and case.number not in why(found.cases)
    assert found.case_count == 3


def test_incidents_match_by_the_callers_phone_and_building_but_not_the_one_the_case_came_from(client, world, case):
    pg1 = world.grid1.police_grids.get()
    same_caller = an_incident(pg1, "110-A", address="梧桐路9号")
    same_building = an_incident(pg1, "110-B", address="栖凤社区3栋2单元", phone="")
    an_incident(pg1, "110-C", address="梧桐路9号", phone="13700000000")
    an_incident(pg1, "110-D", case=case)  # the incident this case was logged from
    client.force_login(world.officer1)
    found = radar_of(client, case)
    assert why(found.incidents) == {same_caller.number: {"phone"}, same_building.number: {"building"}}


def test_the_newest_come_first_and_the_count_says_how_many_more(client, world, case):
    pg1 = world.grid1.police_grids.get()
    for day in range(1, 14):
        an_incident(pg1, f"110-{day:02d}", days_ago=day)
    client.force_login(world.officer1)
    found = radar_of(client, case)
    assert [hit.record.number for hit in found.incidents][:3] == ["110-01", "110-02", "110-03"]
    assert (len(found.incidents), found.incident_count, found.more_incidents) == (10, 13, 3)


def test_records_outside_the_users_scope_are_never_shown(client, world, case):
    other_grid = a_case(world.grid2, world.officer2, phone=PHONE, address=HOME)
    other_street = a_case(world.grid_fh, world.officer_fh, phone=PHONE)
    an_incident(world.grid2.police_grids.get(), "110-PG2")
    an_incident(world.grid_fh.police_grids.get(), "110-FH")
    client.force_login(world.officer1)
    found = radar_of(client, case)
    assert (found.case_count, found.incident_count) == (0, 0)
    html = client.get(reverse("incidents:case_radar", args=[case.pk])).content.decode()
    assert other_grid.number not in html and "110-PG2" not in html and other_street.number not in html
    # the street leader sees her street, not the other one
    client.force_login(world.streetlead)
    found = radar_of(client, case)
    assert set(why(found.cases)) == {other_grid.number}
    assert set(why(found.incidents)) == {"110-PG2"}
    # a community worker sees no incidents at all
    client.force_login(world.worker1)
    assert radar_of(client, case).incident_count == 0


def test_only_those_who_may_view_the_case_get_its_radar(client, world, case):
    client.force_login(world.officer2)
    assert client.get(reverse("incidents:case_radar", args=[case.pk])).status_code == 404
    client.force_login(world.worker1)
    assert client.get(reverse("incidents:case_radar", args=[case.pk])).status_code == 200


def test_the_window_is_respected(client, world, case):
    WarningSettings.objects.update_or_create(pk=WarningSettings.current().pk or 1, defaults={"radar_days": 30})
    inside = a_case(world.grid1, world.officer1, phone=PHONE, days_ago=29)
    outside = a_case(world.grid1, world.officer1, phone=PHONE, days_ago=31)
    an_incident(world.grid1.police_grids.get(), "110-OLD", days_ago=31)
    client.force_login(world.officer1)
    found = radar_of(client, case)
    assert set(why(found.cases)) == {inside.number} and outside.number not in why(found.cases)
    assert found.incident_count == 0


def test_the_case_page_loads_the_radar(client, world, case):
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert f'hx-get="{reverse("incidents:case_radar", args=[case.pk])}"' in html


def test_the_case_radar_costs_the_same_queries_for_few_and_many_matches(client, world, case):
    pg1 = world.grid1.police_grids.get()
    url = reverse("incidents:case_radar", args=[case.pk])
    client.force_login(world.stationlead)
    a_case(world.grid1, world.officer1, phone=PHONE)
    an_incident(pg1, "110-F")
    few, _ = count_queries(client, url)
    for i in range(25):
        a_case(world.grid1, world.officer1, phone=PHONE, id_number=ID_NUMBER, address=HOME)
        an_incident(pg1, f"110-M{i}")
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    assert few <= 20, "\n".join(sql)  # request and case 11, radar 6, session save 3


# --- at intake -----------------------------------------------------------------------------------

INTAKE = reverse("incidents:intake_radar")


def intake(client, **params):
    response = client.get(INTAKE, params)
    assert response.status_code == 200
    return response.context["radar"]


def test_the_intake_radar_matches_what_was_typed(client, world):
    earlier = a_case(world.grid1, world.officer1, phone=PHONE, address=HOME)
    an_incident(world.grid1.police_grids.get(), "110-I", address="梧桐路9号")
    client.force_login(world.officer1)
    found = intake(client, **{"address": "", "parties-0-phone": PHONE, "parties-1-phone": ""})
    assert why(found.cases) == {earlier.number: {"phone"}}
    assert why(found.incidents) == {"110-I": {"phone"}}
    found = intake(client, address="栖凤社区3栋2单元")
    assert why(found.cases) == {earlier.number: {"building"}}
    # a phone found is logged like a search by number
    assert PersonalDataDisclosure.objects.filter(user=world.officer1, how="search",
                                                 party__case=earlier).count() == 1


def test_the_intake_radar_matches_whole_numbers_only(client, world):
    a_case(world.grid1, world.officer1, phone=PHONE, id_number=ID_NUMBER)
    client.force_login(world.officer1)
    assert not intake(client, phone=PHONE[:7], id_number=ID_NUMBER[:10]).asked
    assert intake(client, id_number=ID_NUMBER).case_count == 1


def test_a_typed_number_matches_only_where_the_user_could_see_it_in_full(client, world):
    """An auxiliary sees grid1's cases and incidents masked: the radar must not confirm a guess."""
    earlier = a_case(world.grid1, world.officer1, phone=PHONE, address=HOME)
    an_incident(world.grid1.police_grids.get(), "110-I", address=HOME)
    client.force_login(world.auxiliary1)
    assert intake(client, phone=PHONE).found is False
    found = intake(client, phone=PHONE, address=HOME)  # found by the building, not the phone
    assert why(found.cases) == {earlier.number: {"building"}}
    assert why(found.incidents) == {"110-I": {"building"}}
    assert not PersonalDataDisclosure.objects.filter(user=world.auxiliary1).exists()


def test_the_intake_radar_is_for_those_who_may_log_a_case(client, world):
    client.force_login(world.mediator1)
    assert client.get(INTAKE, {"address": HOME}).status_code == 403
    client.force_login(world.worker1)
    assert intake(client).asked is False
    html = client.get(reverse("cases:create")).content.decode()
    assert f'hx-get="{INTAKE}"' in html and "change from:#id_parties-0-phone" in html


def test_the_intake_radar_costs_the_same_queries_for_few_and_many_matches(client, world):
    pg1 = world.grid1.police_grids.get()
    url = f"{INTAKE}?address={HOME}&parties-0-phone={PHONE}&parties-0-id_number={ID_NUMBER}"
    client.force_login(world.officer1)
    a_case(world.grid1, world.officer1, phone=PHONE)
    an_incident(pg1, "110-F")
    few, _ = count_queries(client, url)
    for i in range(25):
        a_case(world.grid1, world.officer1, phone=PHONE, id_number=ID_NUMBER, address=HOME)
        an_incident(pg1, f"110-M{i}")
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
