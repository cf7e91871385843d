from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import CaseEvent, Referral
from grids import access
from grids.roles import Role
from tests.factories import UserFactory, a_department, act, case_in_state, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(world):
    user = person("dept_housing_test", Role.DEPARTMENT)
    a_department().contacts.add(user)
    return user


def refer_by_form(client, case, contact=None, **overrides):
    data = {"refer-version": case.version, "refer-department": a_department().pk,
            "refer-deadline": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "refer-request": "请住建部门认定漏水责任", "refer-contact": contact.pk if contact else ""}
    data.update(overrides)
    return client.post(reverse("cases:transition", args=[case.pk, "refer"]), data)


def test_a_leader_refers_a_case_and_the_department_sees_only_that_case(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    other = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    assert refer_by_form(client, case, contact).status_code == 302
    referral = Referral.objects.get(case=case)
    assert (referral.status, referral.department.name, referral.contact) == ("sent", "区住建局", contact)
    case.refresh_from_db()
    assert case.state == "referred" and case.referred_to == "区住建局"
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(reverse("cases:list")).context["page"].paginator.count == 1
    # the department may update its referral, nothing else
    page = client.get(case.get_absolute_url())
    assert page.context["transition_forms"] == [] and page.context["comment_form"] is None


def test_referral_life_cycle_sent_received_handled(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    refer_by_form(client, case, contact)
    referral = Referral.objects.get(case=case)
    client.force_login(contact)
    access.forget(contact)
    client.post(reverse("cases:referral_receive", args=[case.pk, referral.pk]))
    referral.refresh_from_db()
    assert referral.status == "received" and referral.received_at
    response = client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]),
                           {f"referral{referral.pk}-status": "handled",
                            f"referral{referral.pk}-feedback": "已认定为楼上防水层破损，责令整改"})
    referral.refresh_from_db()
    assert (referral.status, referral.feedback) == ("handled", "已认定为楼上防水层破损，责令整改")
    statuses = [e.data["status"] for e in CaseEvent.objects.filter(case=case, kind="referral")]
    assert statuses == ["received", "handled"]
    # the leaders then resolve the referred case
    client.force_login(world.streetlead)
    case.refresh_from_db()
    response = client.post(reverse("cases:transition", args=[case.pk, "resolve"]), {
        "resolve-version": case.version, "resolve-resolution": "住建部门认定责任，业主整改完毕"})
    assert response.status_code == 302


def test_a_returned_referral_and_a_late_one(world):
    case = case_in_state("referred", grid=world.grid1, actor=world.stationlead)
    referral = Referral.objects.get(case=case)
    Referral.objects.filter(pk=referral.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    referral.refresh_from_db()
    assert referral.is_late
    closing.close_referral(referral=referral, actor=world.stationlead, status="returned", feedback="不属本部门职责")
    referral.refresh_from_db()
    assert referral.status == "returned" and not referral.is_late
    with pytest.raises(closing.WorkflowError):
        closing.receive_referral(referral=referral, actor=world.stationlead)


def test_the_refer_form_checks_its_input(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    stranger = UserFactory(username="not_a_contact")
    client.force_login(world.streetlead)
    response = refer_by_form(client, case, None, **{
        "refer-deadline": "2020-01-01", "refer-contact": stranger.pk, "refer-request": "我写的移交事项"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "日期太早" in html and "我写的移交事项" in html
    assert not Referral.objects.exists()


@pytest.mark.parametrize("username,status", [("worker1", 403), ("officer1", 403), ("worker2", 404)])
def test_others_cannot_update_a_referral(client, world, username, status):
    case = case_in_state("referred", grid=world.grid1, actor=world.stationlead)
    referral = Referral.objects.get(case=case)
    client.force_login(getattr(world, username))
    assert client.post(reverse("cases:referral_receive", args=[case.pk, referral.pk])).status_code == status
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_the_department_loses_the_case_when_it_is_closed(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    refer_by_form(client, case, contact)
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 200
    # the leaders resolve and close it while the department has not reported back
    case.refresh_from_db()
    case = act(act(case, "resolve", world.streetlead), "close", world.streetlead)
    assert case.state == "closed"
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.post(reverse("cases:referral_receive",
                               args=[case.pk, Referral.objects.get(case=case).pk])).status_code == 404


def test_a_contact_keeps_a_case_that_is_still_open_elsewhere(client, world, contact):
    """Only the case that ended is taken away: the contact's other referral stays theirs."""
    ended = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    other = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    refer_by_form(client, ended, contact)
    refer_by_form(client, other, contact)
    ended.refresh_from_db()
    act(act(ended, "resolve", world.streetlead), "close", world.streetlead)
    access.forget(contact)
    client.force_login(contact)
    assert client.get(ended.get_absolute_url()).status_code == 404
    assert client.get(other.get_absolute_url()).status_code == 200
    bench = client.get(reverse("cases:workbench")).context["loop"]["referrals"]
    assert [r.case_id for r in bench] == [other.pk]
