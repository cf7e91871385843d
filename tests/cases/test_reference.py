"""The warning thresholds and the local calendar are read once per process, not on every page
(grids/reference.py), yet a change made in the admin shows on the next page, and one made by
another process within a minute."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.due import Calendar, add_working_days
from cases.models import Case, LocalDay, WarningSettings
from grids import reference
from tests.factories import make_case
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db
LIST = reverse("cases:list")


def due_in_two_working_days(world):
    """A general-risk case due at the end of the second working day from today: yellow with the
    default thresholds (orange within 1, yellow within 3 working days), orange within 2."""
    case = make_case(grid=world.grid1, actor=world.worker1, title="两天后到期")
    day = add_working_days(timezone.localdate(), 2, Calendar(local={}))
    Case.objects.filter(pk=case.pk).update(due_at=timezone.make_aware(datetime.combine(day, time(23, 0))))
    return case


def shown(client, colour):
    return {c.pk for c in client.get(LIST, {"warning": colour}).context["page"].object_list}


def test_pages_read_the_thresholds_and_calendar_once_per_process(client, world):
    client.force_login(world.officer1)
    reference.forget()  # as in a process that has just started
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST).status_code == 200
    first = [q["sql"] for q in ctx.captured_queries]
    _n, second = count_queries(client, LIST)
    reads = ("cases_warningsettings", "cases_localday")
    assert [s for s in first if any(t in s for t in reads)]  # the first page of this process reads them
    assert not [s for s in second if any(t in s for t in reads)], second


def test_thresholds_changed_in_the_admin_colour_the_next_page(client, world):
    case = due_in_two_working_days(world)
    client.force_login(world.officer1)
    assert case.pk in shown(client, "yellow") and case.pk not in shown(client, "orange")
    client.force_login(world.admin)
    settings = WarningSettings.current()
    data = {"orange_working_days": 2, "yellow_working_days": 3, "notice_hours_before_due": 24,
            "overdue_margin_hours": 24, "radar_days": 90, "repeat_threshold": 3}
    url = (reverse("admin:cases_warningsettings_change", args=[settings.pk]) if settings.pk
           else reverse("admin:cases_warningsettings_add"))
    assert client.post(url, data).status_code == 302
    client.force_login(world.officer1)
    assert case.pk in shown(client, "orange") and case.pk not in shown(client, "yellow")


def test_a_change_made_by_another_process_shows_within_a_minute(client, world, monkeypatch):
    case = due_in_two_working_days(world)
    WarningSettings.objects.update_or_create(pk=1, defaults={"orange_working_days": 1})
    client.force_login(world.officer1)
    assert case.pk in shown(client, "yellow")
    WarningSettings.objects.filter(pk=1).update(orange_working_days=2)  # no signal: as if elsewhere
    assert case.pk in shown(client, "yellow")  # still the kept thresholds
    later = reference.time.monotonic() + reference.KEEP_SECONDS + 1
    monkeypatch.setattr(reference.time, "monotonic", lambda: later)
    assert case.pk in shown(client, "orange")


def test_a_change_rolled_back_is_not_kept(world):
    """Read inside the transaction that changed it, the new value is seen there but not kept: after
    the rollback the next reader gets the old one, not the value that never was."""
    from django.db import transaction

    WarningSettings.objects.update_or_create(pk=1, defaults={"orange_working_days": 1})
    reference.forget()
    with pytest.raises(RuntimeError), transaction.atomic():
        WarningSettings.objects.filter(pk=1).update(orange_working_days=5)
        reference.forget()  # as the change's signal does
        assert WarningSettings.current().orange_working_days == 5
        raise RuntimeError("the rest of the change failed")
    assert WarningSettings.current().orange_working_days == 1


def test_a_local_holiday_counts_at_once(world):
    friday = date(2026, 12, 4)
    assert Calendar.load().is_workday(friday)
    LocalDay.objects.create(day=friday, is_workday=False, name="本地停工")
    assert not Calendar.load().is_workday(friday)
    assert add_working_days(friday - timedelta(days=1), 1) == date(2026, 12, 7)  # Thursday + 1: Monday
    LocalDay.objects.filter(day=friday).delete()
    assert Calendar.load().is_workday(friday)


def test_a_new_department_and_contact_are_offered_on_the_next_case_page(client, world):
    """The referral form's options are kept per process, yet a department made (or a contact
    account given to one) is offered on the next page."""
    from cases.models import Department
    from grids.roles import Role
    from tests.factories import case_in_state, person

    case = case_in_state("escalated", grid=world.grid1, actor=world.officer1)
    client.force_login(world.streetlead)
    assert "区城管执法局" not in client.get(case.get_absolute_url()).content.decode()
    department = Department.objects.create(name="区城管执法局", kind="market")
    assert "区城管执法局" in client.get(case.get_absolute_url()).content.decode()
    contact = person("cg_contact", Role.DEPARTMENT)
    department.contacts.add(contact)
    assert f"{contact.get_full_name() or contact.username}（区城管执法局）" in client.get(
        case.get_absolute_url()).content.decode()
