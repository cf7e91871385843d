"""Refer without escalating (issue 10, item 3): the handler sends a repair request to a
department from a triaged or mediating case; the case stays with them. A major-risk case goes
up the escalation path instead."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, Notification, Referral
from grids import access
from grids.roles import Role
from tests.factories import a_department, act, case_in_state, choose, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(world):
    user = person("dept_sewage_test", Role.DEPARTMENT)
    a_department().contacts.add(user)
    return user


def send(client, case, contact=None, **overrides):
    data = {"send_referral-department": a_department().pk,
            "send_referral-deadline": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "send_referral-request": "商铺装修截断共用排污管，请住建部门责令修复",
            "send_referral-contact": contact.pk if contact else ""}
    data.update(overrides)
    return client.post(reverse("cases:referral_send", args=[case.pk]), data)


def test_the_handler_refers_a_triaged_case_and_keeps_it(client, world, contact):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    page = client.get(case.get_absolute_url())
    assert page.context["send_referral_form"] is not None
    assert "转办职能部门（不提级）" in page.content.decode()

    response = send(client, case, contact)
    assert response.status_code == 302
    referral = Referral.objects.get(case=case)
    assert (referral.department.name, referral.sent_by, referral.contact, referral.status) == (
        "区住建局", world.officer1, contact, "sent")
    case.refresh_from_db()
    assert case.state == "triaged"  # still the handler's case, not on the leaders' ledger
    event = CaseEvent.objects.filter(case=case, kind="referral").get()
    assert event.actor == world.officer1 and "排污管" in event.note
    assert Notification.objects.filter(recipient=contact, case=case).exists()

    # the department sees this one case, signs for it and reports back; the handler reads it
    access.forget(contact)
    client.force_login(contact)
    assert [r.pk for r in client.get(reverse("cases:workbench")).context["loop"]["referrals"]] == [referral.pk]
    client.post(reverse("cases:referral_receive", args=[case.pk, referral.pk]))
    client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]), {
        f"referral{referral.pk}-status": "handled", f"referral{referral.pk}-feedback": "已责令商铺三日内修复管道"})
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "已责令商铺三日内修复管道" in html
    assert Case.objects.get(pk=case.pk).state == "triaged"


def test_a_grid_worker_refers_from_a_mediating_case(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1)
    case = act(case, "start_mediation", world.officer1)
    client.force_login(world.worker1)
    assert send(client, case).status_code == 302
    assert Referral.objects.get(case=case).sent_by == world.worker1


def test_who_may_not_refer_directly(client, world):
    triaged = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.auxiliary1)                  # an auxiliary: not a handler
    assert send(client, triaged).status_code == 403
    client.force_login(world.worker2)                     # another grid's worker
    assert send(client, triaged).status_code == 404
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.officer1)                    # escalated: the leaders' "refer" step
    assert send(client, escalated).status_code == 403
    assert not Referral.objects.exists()


def test_a_major_risk_case_goes_up_the_escalation_path(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=case.pk).update(risk="major")
    client.force_login(world.officer1)
    response = send(client, case)
    assert response.status_code == 400
    html = response.content.decode()
    assert "重大风险" in html and "商铺装修截断共用排污管" in html  # said why; nothing typed is lost
    assert not Referral.objects.exists()
    client.force_login(world.stationlead)                 # a leader may send it directly
    assert send(client, case).status_code == 302


def test_bad_input_is_shown_next_to_the_field_and_kept(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = send(client, case, **{"send_referral-department": "", "send_referral-deadline": "1999-01-01"})
    assert response.status_code == 400
    form = response.context["send_referral_form"]
    assert set(form.errors) >= {"department", "deadline"}
    assert "商铺装修截断共用排污管" in response.content.decode()
    assert not Referral.objects.exists()


def decide(client, case, referral, decision, note=""):
    return client.post(reverse("cases:referral_decide", args=[case.pk, referral.pk]), {
        f"decide{referral.pk}-decision": decision, f"decide{referral.pk}-note": note})


def decision_on_card(client, case, referral):
    """The leader's note shown on the referral's card, or None."""
    html = client.get(case.get_absolute_url()).content.decode()
    start = html.find(f'id="referral-{referral.pk}-decision"')
    return None if start < 0 else html[start:html.index("</div>", start)]


def serious_case(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=case.pk).update(risk="serious")
    return Case.objects.get(pk=case.pk)


def test_a_serious_risk_referral_waits_for_a_leader_and_reaches_the_department_once_approved(
        client, world, contact):
    case = serious_case(world)
    client.force_login(world.officer1)
    assert send(client, case, contact).status_code == 302
    referral = Referral.objects.get(case=case)
    assert referral.status == "awaiting"
    # the department neither sees the case nor hears of it yet
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert not Notification.objects.filter(recipient=contact).exists()
    # the officer cannot approve his own referral; the leaders are told and see it on their bench
    client.force_login(world.officer1)
    assert decide(client, case, referral, "approve").status_code == 403
    assert Notification.objects.filter(recipient=world.stationlead, kind="approval", case=case).exists()
    client.force_login(world.stationlead)
    bench = client.get(reverse("cases:workbench")).context["loop"]
    assert [r.pk for r in bench["approvals"]] == [referral.pk]
    assert client.get(case.get_absolute_url()).content.decode().count(f'name="decide{referral.pk}-decision"') == 2
    assert decide(client, case, referral, "approve", "同意移交，请住建局三日内处理").status_code == 302
    referral.refresh_from_db()
    assert referral.status == "sent"
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 200
    assert Notification.objects.filter(recipient=contact, kind="referral", case=case).exists()
    assert Notification.objects.filter(recipient=world.officer1, kind="approval", case=case).exists()
    client.force_login(world.officer1)
    assert "同意移交，请住建局三日内处理" in decision_on_card(client, case, referral)
    assert list(CaseEvent.objects.filter(case=case, kind="referral").values_list("data__status", flat=True)
                .order_by("at", "id")) == ["awaiting", "sent"]
    # decided once: a second decision is refused with a message (409), nothing changes
    client.force_login(world.streetlead)
    assert decide(client, case, referral, "decline", "不同意").status_code == 409


def test_a_declined_referral_never_reaches_the_department_and_the_reason_is_required(client, world, contact):
    department = a_department()
    department.needs_approval = True  # e.g. the court's 诉调对接: a leader signs off every referral
    department.save()
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)  # general risk
    client.force_login(world.officer1)
    send(client, case, contact)
    referral = Referral.objects.get(case=case)
    assert referral.status == "awaiting"
    client.force_login(world.streetlead)
    response = decide(client, case, referral, "decline", "")
    assert response.status_code == 400 and response.context["referrals"][0].decision_form.errors["note"]
    assert decide(client, case, referral, "decline", "先由社区组织双方协商").status_code == 302
    referral.refresh_from_db()
    assert referral.status == "declined"
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 404
    notice = Notification.objects.get(recipient=world.officer1, kind="approval", case=case)
    assert notice.text == "先由社区组织双方协商"
    # the reason is on the referral's card, not only on the timeline
    client.force_login(world.officer1)
    card = decision_on_card(client, case, referral)
    assert card is not None and "先由社区组织双方协商" in card


def test_a_leaders_own_referral_goes_at_once(client, world, contact):
    case = serious_case(world)
    client.force_login(world.stationlead)
    send(client, case, contact)
    assert Referral.objects.get(case=case).status == "sent"


def test_an_outsider_cannot_decide(client, world, contact):
    case = serious_case(world)
    client.force_login(world.officer1)
    send(client, case, contact)
    referral = Referral.objects.get(case=case)
    client.force_login(world.stationlead_fh)
    assert decide(client, case, referral, "approve").status_code == 404
    client.force_login(world.worker1)
    assert decide(client, case, referral, "approve").status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == "awaiting"


def test_the_handler_records_the_answer_of_a_department_without_an_account(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    send(client, case)  # no contact account: the department answers by phone
    referral = Referral.objects.get(case=case)
    assert referral.contact is None and referral.status == "sent"
    assert client.get(case.get_absolute_url()).context["referrals"][0].close_form is not None
    client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]), {
        f"referral{referral.pk}-status": "handled", f"referral{referral.pk}-feedback": "住建局电话答复：已修复"})
    referral.refresh_from_db()
    assert (referral.status, referral.feedback) == ("handled", "住建局电话答复：已修复")


def test_a_handler_cannot_record_feedback_for_a_department_that_has_its_own_account(client, world, contact):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    send(client, case, contact)
    referral = Referral.objects.get(case=case)
    response = client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]), {
        f"referral{referral.pk}-status": "handled", f"referral{referral.pk}-feedback": "代填"})
    assert response.status_code == 403 and Referral.objects.get(pk=referral.pk).status == "sent"


# --- who the referral reaches: the department's contact account ------------------------------


def test_a_department_with_one_account_is_reached_through_it_without_choosing(client, world, contact):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    assert send(client, case).status_code == 302  # no contact chosen
    referral = Referral.objects.get(case=case)
    assert referral.contact == contact
    assert Notification.objects.filter(recipient=contact, kind="referral", case=case).exists()
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 200


def test_the_one_account_shows_as_chosen_when_the_form_comes_back(client, world, contact):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = send(client, case, **{"send_referral-deadline": "1999-01-01"})
    assert response.status_code == 400
    form = response.context["send_referral_form"]
    assert set(form.errors) == {"deadline"} and str(form["contact"].value()) == str(contact.pk)
    assert not Referral.objects.exists()


def test_a_department_with_several_accounts_needs_one_chosen(client, world, contact):
    second = person("dept_sewage_second", Role.DEPARTMENT)
    a_department().contacts.add(second)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = send(client, case)
    assert response.status_code == 400
    assert set(response.context["send_referral_form"].errors) == {"contact"}  # next to the field
    assert "商铺装修截断共用排污管" in response.content.decode()  # nothing typed is lost
    assert not Referral.objects.exists()
    assert send(client, case, second).status_code == 302
    assert Referral.objects.get(case=case).contact == second


def test_an_account_of_another_department_is_refused(client, world, contact):
    labour = person("dept_labour_test", Role.DEPARTMENT)
    a_department("区人社局劳动监察大队", "labour").contacts.add(labour)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = send(client, case, labour)
    assert response.status_code == 400
    assert set(response.context["send_referral_form"].errors) == {"contact"}
    assert not Referral.objects.exists()


# --- a case that ends ends the departments' part in it ----------------------------------------


def withdraw(client, case, actor):
    case.refresh_from_db()
    client.force_login(actor)
    response = client.post(reverse("cases:transition", args=[case.pk, "withdraw"]), {
        "withdraw-version": case.version, "withdraw-withdrawal_reason": "双方已自行和解，申请撤回"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "withdrawn"


def test_the_department_loses_the_case_when_it_is_withdrawn(client, world, contact):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    send(client, case, contact)
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 200

    withdraw(client, case, world.officer1)
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert client.get(reverse("cases:workbench")).context["loop"]["referrals"] == []
    # the referral itself stays open: a leader can still record what the department did
    referral = Referral.objects.get(case=case)
    assert referral.status == "sent"
    client.force_login(world.stationlead)
    assert client.get(case.get_absolute_url()).context["referrals"][0].close_form is not None


def test_an_awaiting_referral_of_a_withdrawn_case_is_no_longer_awaiting(client, world, contact):
    case = serious_case(world)
    client.force_login(world.officer1)
    send(client, case, contact)
    referral = Referral.objects.get(case=case)
    assert referral.status == "awaiting"

    withdraw(client, case, world.officer1)
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.closed_at is not None
    event = CaseEvent.objects.filter(case=case, kind="referral").order_by("-at", "-id").first()
    assert (event.data["status"], event.data["reason"]) == ("declined", "case_ended")
    client.force_login(world.stationlead)
    assert client.get(reverse("cases:workbench")).context["loop"]["approvals"] == []
    page = client.get(case.get_absolute_url())
    assert page.context["referrals"][0].decision_form is None
    assert decision_on_card(client, case, referral) is not None  # why it ended, on its card
    assert decide(client, case, referral, "approve").status_code in (403, 409)
    access.forget(contact)
    client.force_login(contact)
    assert client.get(case.get_absolute_url()).status_code == 404
