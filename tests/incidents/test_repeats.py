"""The repeat list (重复警情): buildings and phones with at least `repeat_threshold` records in the
window, within the user's scope, flagged for triage when no case of theirs is open; and its
Excel export, recorded, phones masked."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cases.addresses import address_key
from cases.models import ExportRecord, Party, WarningSettings
from incidents import radar
from incidents.models import Incident
from tests.factories import act, make_case

pytestmark = pytest.mark.django_db
URL, EXPORT = reverse("incidents:repeats"), reverse("incidents:repeats_export")
STAIRWELL = "栖凤社区3幢2单元"
PHONE = "13812345678"


def an_incident(police_grid, number, *, address=STAIRWELL + "502室", phone="", days_ago=1, **fields):
    return Incident.objects.create(
        number=number, reported_at=timezone.now() - timedelta(days=days_ago), caller_phone=phone,
        address=address, address_key=address_key(address), kind="邻里纠纷", police_grid=police_grid, **fields)


def a_case(grid, actor, *, address="梧桐路1号", phone="", days_ago=1):
    return make_case(grid=grid, actor=actor, address=address, reported_at=timezone.now() - timedelta(days=days_ago),
                     parties=[Party(name="当事人", role="applicant", phone=phone)])


def repeats_seen(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    return {(r.by_phone, r.key): r for r in response.context["page"].object_list}


def building(key_of=STAIRWELL):
    return (False, address_key(key_of))


def test_a_building_with_three_records_is_a_repeat_and_two_are_not(client, world):
    pg1 = world.grid1.police_grids.get()
    an_incident(pg1, "110-1")
    an_incident(pg1, "110-2", address=STAIRWELL + "601室")
    case = a_case(world.grid1, world.officer1, address=STAIRWELL + "302室")
    an_incident(pg1, "110-3", address="梧桐路9号")
    an_incident(pg1, "110-4", address="梧桐路9号")
    client.force_login(world.officer1)
    seen = repeats_seen(client)
    assert set(seen) == {building()}
    repeat = seen[building()]
    assert (repeat.incident_count, repeat.case_count, repeat.open_count) == (2, 1, 1)
    assert not repeat.needs_triage
    assert {i.number for i in repeat.incidents} == {"110-1", "110-2"} and repeat.cases == [case]


def test_a_repeat_without_an_open_case_needs_triage(client, world):
    pg1 = world.grid1.police_grids.get()
    an_incident(pg1, "110-1", phone=PHONE, address="梧桐路1号")
    an_incident(pg1, "110-2", phone=PHONE, address="梧桐路2号")
    withdrawn = a_case(world.grid1, world.officer1, phone=PHONE, address="梧桐路3号")
    act(withdrawn, "withdraw", world.officer1)
    client.force_login(world.officer1)
    repeat = repeats_seen(client)[(True, PHONE)]
    assert (repeat.incident_count, repeat.case_count, repeat.open_count) == (2, 1, 0)
    assert repeat.needs_triage
    html = client.get(URL).content.decode()
    assert "data-needs-triage" in html and "138****5678" in html and PHONE not in html


def test_an_incident_that_became_a_case_counts_once(client, world):
    pg1 = world.grid1.police_grids.get()
    case = a_case(world.grid1, world.officer1, address=STAIRWELL + "302室")
    an_incident(pg1, "110-1", case=case, status="case")
    an_incident(pg1, "110-2")
    client.force_login(world.officer1)
    assert building() not in repeats_seen(client)
    an_incident(pg1, "110-3")
    assert repeats_seen(client)[building()].total == 3


def test_only_records_in_the_users_scope_and_window_count(client, world):
    an_incident(world.grid1.police_grids.get(), "110-1")
    an_incident(world.grid1.police_grids.get(), "110-2")
    an_incident(world.grid2.police_grids.get(), "110-3")  # officer2's police grid
    an_incident(world.grid1.police_grids.get(), "110-OLD", days_ago=91)
    client.force_login(world.officer1)
    assert building() not in repeats_seen(client)
    client.force_login(world.stationlead)
    repeat = repeats_seen(client)[building()]
    assert repeat.incident_count == 3 and "110-OLD" not in {i.number for i in repeat.incidents}
    client.force_login(world.streetlead_fh)
    assert repeats_seen(client) == {}


def test_the_threshold_and_window_are_the_settings(client, world):
    WarningSettings.objects.update_or_create(pk=WarningSettings.current().pk or 1,
                                             defaults={"repeat_threshold": 2, "radar_days": 200})
    an_incident(world.grid1.police_grids.get(), "110-1")
    an_incident(world.grid1.police_grids.get(), "110-OLD", days_ago=150)
    client.force_login(world.officer1)
    assert repeats_seen(client)[building()].incident_count == 2


def test_the_repeat_list_is_for_officers_and_leaders(client, world):
    for username in ("worker1", "mediator1"):
        client.force_login(getattr(world, username))
        assert client.get(URL).status_code == 403
        assert client.get(EXPORT).status_code == 403
    for username in ("officer1", "auxiliary1", "stationlead", "streetlead_fh", "admin"):
        client.force_login(getattr(world, username))
        assert client.get(URL).status_code == 200


def test_the_repeat_list_costs_the_same_queries_for_few_and_many(client, world):
    from tests.helpers import count_queries

    pg1 = world.grid1.police_grids.get()
    client.force_login(world.stationlead)
    for i in range(2):
        an_incident(pg1, f"110-F{i}", phone=PHONE)
    a_case(world.grid1, world.officer1, phone=PHONE)
    few, _ = count_queries(client, URL)
    for i in range(40):
        an_incident(pg1, f"110-M{i}", address=f"梧桐路{i % 20}号", phone=f"1390000{i % 20:04d}")
        a_case(world.grid1, world.officer1, address=f"梧桐路{i % 20}号", phone=f"1390000{i % 20:04d}")
    many, sql = count_queries(client, URL)
    assert few == many, "\n".join(sql)


def test_the_export_has_a_row_per_repeat_with_phones_masked_and_is_recorded(client, world):
    pg1 = world.grid1.police_grids.get()
    for i in range(3):
        an_incident(pg1, f"110-{i}", phone=PHONE, address="=HYPERLINK(\"http://x\")")
    client.force_login(world.officer1)
    response = client.get(EXPORT, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    body = rows[1:]
    assert len(body) == 2  # the address and the phone
    cells = [str(c) for row in body for c in row if c is not None]
    assert any("138****5678" in c for c in cells) and not any(PHONE in c for c in cells)
    assert not any(c.startswith("=") for c in cells)
    assert any("110-0" in c and "110-2" in c for c in cells)  # its records' numbers
    record = ExportRecord.objects.get(user=world.officer1)
    assert (record.what, record.rows, record.ip_address) == ("repeats", 2, "10.0.0.7")


def test_the_export_reads_its_records_in_chunks(world, monkeypatch):
    monkeypatch.setattr(radar, "CHUNK", 2)
    pg1 = world.grid1.police_grids.get()
    for group in range(5):
        for i in range(3):
            an_incident(pg1, f"110-{group}-{i}", address=f"梧桐路{group}号")
    out = io.BytesIO()
    assert radar.write_repeats(radar.repeats_for(world.officer1), out) == 5
    rows = list(openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True).active.iter_rows(values_only=True))
    assert sorted(row[2] for row in rows[1:]) == [3, 3, 3, 3, 3]
