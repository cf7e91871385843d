"""Every write leaves a trail: the admin cannot change a case silently and shows personal data
masked; roster, meeting, department and due-rule changes keep a history (who, when, before →
after); every export is recorded."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop
from cases.models import Case, Department, DueRule, ExportRecord
from grids.models import Community
from mediators.models import Mediator
from tests.factories import case_in_state, make_case

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_to_change_a_case_and_the_case_stays_as_it_was(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.admin)
    url = reverse("admin:cases_case_change", args=[case.pk])
    assert client.get(url).status_code == 200  # a window…
    response = client.post(url, {"title": "改掉的标题", "grid": world.grid2.pk, "risk": "major"})
    assert response.status_code == 403  # …not a door
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.title, fresh.grid_id, fresh.version, fresh.events.count()) == (
        case.title, world.grid1.pk, case.version, 1)


def test_the_admin_shows_parties_masked(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.admin)
    html = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "13812345678" not in html and "11010519491231002X" not in html
    assert "138****5678" in html


def test_a_roster_edit_keeps_who_and_before_and_after(client, world):
    community = Community.objects.filter(street=world.qifeng).first()
    mediator = Mediator.objects.create(name="历史调解员", team="peoples", organisation="栖凤司法所",
                                       profession="lawyer", capacity=3)
    mediator.communities.set([community])
    client.force_login(world.streetlead)
    response = client.post(reverse("mediators:edit", args=[mediator.pk]), {
        "name": "历史调解员", "team": "peoples", "organisation": "栖凤司法所", "profession": "lawyer",
        "communities": [community.pk], "capacity": "7", "dialects": "", "introduction": "",
        "phone": "", "id_number": "", "user": ""})
    assert response.status_code == 302
    new, old = mediator.history.order_by("-history_date", "-history_id")[:2]
    assert new.history_user == world.streetlead
    changes = {c.field: (c.old, c.new) for c in new.diff_against(old).changes}
    assert changes["capacity"] == (3, 7)


def test_minutes_keep_every_version_with_its_author(world):
    meeting = loop.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                  place="会议室", attendees="街道、派出所")
    loop.save_minutes(meeting=meeting, actor=world.streetlead, minutes="第一稿")
    loop.save_minutes(meeting=meeting, actor=world.streetlead, minutes="第二稿")
    versions = list(meeting.history.order_by("history_date", "history_id").values_list("minutes", "history_user"))
    assert versions[-2:] == [("第一稿", world.streetlead.pk), ("第二稿", world.streetlead.pk)]


def test_admin_edits_of_departments_and_due_rules_keep_a_history(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("admin:cases_department_add"), {
        "name": "区人社局", "kind": "labour", "contact_name": "张科长", "phone": "", "contacts": []})
    assert response.status_code == 302
    department = Department.objects.get(name="区人社局")
    assert department.history.get().history_user == world.admin
    rule = DueRule.objects.get_or_create(risk="general", tier="", defaults={"amount": 10, "unit": "working_days"})[0]
    client.post(reverse("admin:cases_duerule_change", args=[rule.pk]),
                {"risk": "general", "tier": "", "amount": 8, "unit": "working_days"})
    latest = rule.history.order_by("-history_date", "-history_id").first()
    assert (latest.amount, latest.history_user) == (8, world.admin)


def test_a_ledger_export_is_recorded_with_its_filter_and_rows(client, world):
    case_in_state("escalated", grid=world.grid1, actor=world.admin)
    client.force_login(world.streetlead)
    response = client.get(reverse("cases:ledger_export") + "?reason=escalated")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    record = ExportRecord.objects.get()
    assert (record.user, record.what, record.filters, record.rows) == (
        world.streetlead, "ledger", {"reason": ["escalated"]}, 1)


def test_administrators_enter_local_days_and_the_working_days_follow(client, world):
    from datetime import date

    from cases.due import add_working_days
    from cases.models import LocalDay

    friday = date(2027, 3, 5)
    assert add_working_days(friday, 1) == date(2027, 3, 8)  # Monday
    client.force_login(world.admin)
    response = client.post(reverse("admin:cases_localday_add"),
                           {"day": "2027-03-08", "is_workday": "", "name": "县庆"})
    assert response.status_code == 302
    assert add_working_days(friday, 1) == date(2027, 3, 9)  # the local holiday is skipped
    assert LocalDay.objects.get(day="2027-03-08").history.get().history_user == world.admin


def test_the_warning_settings_are_one_row_edited_with_a_history(client, world):
    from cases.models import WarningSettings

    client.force_login(world.admin)
    fields = {"orange_working_days": 2, "yellow_working_days": 5, "notice_hours_before_due": 12,
              "overdue_margin_hours": 48, "radar_days": 90, "repeat_threshold": 3}
    WarningSettings.objects.all().delete()
    assert client.post(reverse("admin:cases_warningsettings_add"), fields).status_code == 302
    assert client.get(reverse("admin:cases_warningsettings_add")).status_code == 403  # one row only
    row = WarningSettings.current()
    assert (row.yellow_working_days, row.notice_hours_before_due) == (5, 12)
    response = client.post(reverse("admin:cases_warningsettings_change", args=[row.pk]),
                           {**fields, "yellow_working_days": 4})
    assert response.status_code == 302
    assert WarningSettings.current().yellow_working_days == 4
    latest = row.history.order_by("-history_date", "-history_id").first()
    assert (latest.yellow_working_days, latest.history_user) == (4, world.admin)
    assert client.post(reverse("admin:cases_warningsettings_delete", args=[row.pk])).status_code == 403
