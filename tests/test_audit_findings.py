"""The outside audit's access findings (issue "Trust"), each reproduced and kept closed:
roster edits across streets, per-case grants outliving their reason, meetings across a
station's partial scope, one department closing another's referral, phone numbers recovered
by partial search, work assigned to someone who cannot see the case, ids that are not numbers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop, permissions
from cases.errors import WorkflowError
from cases.models import Case, PersonalDataDisclosure, Referral
from grids import access
from grids.models import Community, GridLink, PoliceGrid, PoliceStation
from grids.roles import Role
from mediators.models import Mediator
from tests.factories import a_department, case_in_state, choose, make_case, person

pytestmark = pytest.mark.django_db


def can_open(user, case):
    access.forget(user)
    return permissions.can(user, "view", Case.objects.get(pk=case.pk))


@pytest.fixture
def chen(world):
    return Mediator.objects.get(user=world.mediator1)


def roster_form(mediator, **overrides):
    data = {"name": mediator.name, "team": mediator.team, "organisation": mediator.organisation,
            "profession": mediator.profession, "capacity": mediator.capacity, "dialects": "",
            "introduction": "", "phone": "", "id_number": "",
            "communities": list(mediator.communities.values_list("pk", flat=True)), "user": ""}
    data.update(overrides)
    return data


# 1a. the roster crosses streets


@pytest.mark.parametrize("url", ["mediators:edit", "mediators:retire"])
def test_another_streets_leader_cannot_edit_or_retire_this_streets_mediator(client, world, chen, url):
    client.force_login(world.streetlead_fh)
    response = client.post(reverse(url, args=[chen.pk]), roster_form(chen, introduction="改"))
    assert response.status_code == 403
    chen.refresh_from_db()
    assert chen.active and chen.user == world.mediator1 and chen.communities.exists()


def test_a_mediator_who_also_serves_another_street_is_not_one_leaders_to_rewrite(client, world, chen):
    outside = Community.objects.get(name="凤凰社区")
    chen.communities.add(outside)
    before = set(chen.communities.values_list("pk", flat=True))
    client.force_login(world.streetlead)
    response = client.post(reverse("mediators:edit", args=[chen.pk]), roster_form(chen, communities=[]))
    assert response.status_code == 403
    assert set(chen.communities.values_list("pk", flat=True)) == before


# 1b, 1c. grants follow the account and the reason


def test_relinking_moves_the_grant_to_the_new_account_and_takes_it_from_the_old(client, world, chen):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    choose(case, world.admin, mediator=chen)
    assert can_open(world.mediator1, case)
    new_account = person("mediator_new", Role.MEDIATOR)
    client.force_login(world.streetlead)
    response = client.post(reverse("mediators:edit", args=[chen.pk]), roster_form(chen, user=new_account.pk))
    assert response.status_code == 302
    assert can_open(new_account, case) and not can_open(world.mediator1, case)


def test_a_replaced_mediator_loses_the_case_and_the_other_keeps_it(world, chen):
    from mediators import services

    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    first = choose(case, world.admin, mediator=chen)
    other_account = person("mediator_other", Role.MEDIATOR)
    other = Mediator.objects.create(name="另一位调解员", team="peoples", organisation="x", profession="elder",
                                    capacity=5, user=other_account)
    choose(case, world.admin, mediator=other)
    services.replace_mediator(choice=first, actor=world.admin, reason="当事人要求更换")
    assert not can_open(world.mediator1, case) and can_open(other_account, case)


def test_retiring_a_mediator_ends_her_choices_and_grants(client, world, chen):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    choose(case, world.admin, mediator=chen)
    client.force_login(world.streetlead)
    assert client.post(reverse("mediators:retire", args=[chen.pk]), {"active": "0"}).status_code == 302
    assert not can_open(world.mediator1, case)
    assert not case.mediator_choices.filter(active=True).exists()
    assert case.events.filter(kind="mediator_replaced").exists()


# 2. meetings and a station that covers only part of a street


@pytest.fixture
def partial_station_lead(world):
    """A station whose one police grid covers only grid1 of the street."""
    station = PoliceStation.objects.create(name="局部派出所")
    police_grid = PoliceGrid.objects.create(station=station, name="局部警务区", code="PART-1", post_name="局部警务室")
    GridLink.objects.create(police_grid=police_grid, community_grid=world.grid1)
    return person("partial_lead", Role.STATION_LEADER, station)


def test_a_partial_station_leader_sees_only_his_cases_on_the_agenda_and_cannot_write_minutes(
        client, world, partial_station_lead):
    mine = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    not_mine = case_in_state("escalated", grid=world.grid2, actor=world.admin)
    meeting = loop.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                  place="会议室", attendees="街道、派出所")
    assert {i.case_id for i in meeting.items.all()} >= {mine.pk, not_mine.pk}
    client.force_login(partial_station_lead)
    for url in ("cases:meeting", "cases:meeting_print"):
        html = client.get(reverse(url, args=[meeting.pk])).content.decode()
        assert mine.number in html and not_mine.number not in html
    response = client.post(reverse("cases:meeting_minutes", args=[meeting.pk]), {"minutes": "改写"})
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == ""
    item = meeting.items.get(case=not_mine)
    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {f"item{item.pk}-decision": "x"})
    assert response.status_code == 404


def test_a_partial_station_leader_cannot_call_a_meeting_of_the_street(client, world, partial_station_lead):
    client.force_login(partial_station_lead)
    assert client.get(reverse("cases:meeting_create")).status_code == 403


# 3. phone numbers by partial search


@pytest.fixture
def case_with_phone(world):
    from cases.models import Party

    return make_case(grid=world.grid1, actor=world.worker1,
                     parties=[Party(name="周海燕", role="applicant", phone="19212347256")])


def listed(client, query):
    page = client.get(reverse("cases:list"), {"q": query})
    return {c.pk for c in page.context["page"].object_list}


def test_a_partial_phone_number_finds_nothing(client, world, case_with_phone):
    client.force_login(world.officer1)
    assert case_with_phone.pk not in listed(client, "1921234")
    assert case_with_phone.pk not in listed(client, "7256")


def test_a_whole_number_is_found_only_by_roles_that_may_reveal_and_is_logged(client, world, case_with_phone):
    client.force_login(world.auxiliary1)
    assert case_with_phone.pk not in listed(client, "19212347256")
    assert not PersonalDataDisclosure.objects.filter(user=world.auxiliary1).exists()
    client.force_login(world.officer1)
    assert case_with_phone.pk in listed(client, "19212347256")
    logged = PersonalDataDisclosure.objects.get(user=world.officer1)
    assert (logged.case_id, logged.how) == (case_with_phone.pk, "search")


# 4, 5. departments and their referrals


def test_one_department_cannot_receive_or_close_anothers_referral(client, world):
    housing_contact = person("dept_housing_x", Role.DEPARTMENT)
    labour_contact = person("dept_labour_x", Role.DEPARTMENT)
    housing, labour = a_department(), a_department("区人社局", "labour")
    housing.contacts.add(housing_contact)
    labour.contacts.add(labour_contact)
    case = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    from tests.factories import act

    act(case, "refer", world.admin, referral={"department": housing, "request": "请处理",
                                              "deadline": timezone.localdate() + timedelta(days=5),
                                              "contact": housing_contact})
    theirs = Referral.objects.get(case=case)
    Referral.objects.create(case=case, department=labour, request="请处理", sent_by=world.admin,
                            deadline=timezone.localdate() + timedelta(days=5), contact=labour_contact)
    from cases import grants

    grants.grant(user=labour_contact, case=case, reason=grants.DEPARTMENT)
    client.force_login(labour_contact)
    assert client.post(reverse("cases:referral_receive", args=[case.pk, theirs.pk])).status_code == 403
    assert client.post(reverse("cases:referral_close", args=[case.pk, theirs.pk]),
                       {f"referral{theirs.pk}-status": "handled", f"referral{theirs.pk}-feedback": "x"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "sent"


def test_a_departments_grant_ends_when_its_referral_closes(world):
    contact = person("dept_housing_y", Role.DEPARTMENT)
    a_department().contacts.add(contact)
    case = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    from tests.factories import act

    act(case, "refer", world.admin, referral={"department": a_department(), "request": "请处理",
                                              "deadline": timezone.localdate() + timedelta(days=5),
                                              "contact": contact})
    assert can_open(contact, case)
    loop.close_referral(referral=Referral.objects.get(case=case), actor=contact, status="handled", feedback="已修复")
    assert not can_open(contact, case)


def test_work_cannot_go_to_someone_who_cannot_see_the_case(world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    with pytest.raises(WorkflowError):
        loop.issue_supervision(case=case, actor=world.streetlead, text="请处理", assignee=world.worker2,
                               deadline=timezone.localdate() + timedelta(days=3))
    assert not case.tasks.exists()


def test_a_leader_with_a_per_case_grant_outside_his_grids_gets_the_dashboard(client, world):
    from cases import grants

    outside = case_in_state("reported", grid=world.grid_fh, actor=world.admin)
    grants.grant(user=world.streetlead, case=outside, reason=grants.VIEWER)
    client.force_login(world.streetlead)
    assert client.get(reverse("cases:dashboard")).status_code == 200


# 6. ids that are not numbers


@pytest.mark.parametrize("value", ["abc", " ", "1.5", "NaN", "%ff", "99999999999999999999999", "²", "9" * 4301])
@pytest.mark.parametrize("url", ["mediators:supermarket", "cases:call_create"])
def test_a_case_id_that_is_not_a_number_is_a_404_not_a_500(client, world, url, value):
    client.force_login(world.worker1)
    response = client.get(reverse(url), {"case": value})
    assert response.status_code in (200, 404)


# 7. dates far in the future or past


@pytest.mark.parametrize("reported_at", ["9999-12-31T23:59", "0001-01-01T00:00", "2999-01-01T10:00"])
def test_an_implausible_intake_date_is_an_error_next_to_the_field(client, world, reported_at):
    from tests.cases.test_case_create import URL, form_data

    client.force_login(world.worker1)
    response = client.post(URL, form_data(world.grid1, reported_at=reported_at, occurred_at=""))
    assert response.status_code == 400
    assert response.context["form"].errors["reported_at"]
    assert "商铺装修截断共用污水管" in response.content.decode()  # what was typed is kept
    assert not Case.objects.filter(title="商铺装修截断共用污水管").exists()


def test_something_cannot_happen_after_it_was_reported(client, world):
    from tests.cases.test_case_create import URL, form_data

    client.force_login(world.worker1)
    response = client.post(URL, form_data(world.grid1, occurred_at="2026-11-22T09:30", reported_at="2026-11-21T10:00"))
    assert response.status_code == 400 and response.context["form"].errors["occurred_at"]


def test_a_session_cannot_be_dated_before_the_case_was_logged(client, world, chen):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    choice = choose(case, world.admin, mediator=chen)
    from tests.factories import act

    act(case, "start_mediation", world.admin)
    client.force_login(world.officer1)
    before = timezone.localtime(case.reported_at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("mediators:session_create", args=[case.pk]), {
        "held_at": before, "place": "调解室", "mediators": [choice.mediator.pk], "attendees": "双方",
        "format": "joint", "record": "记录", "outcome": "continue"})
    assert response.status_code == 400 and response.context["form"].errors["held_at"]
    assert not case.sessions.exists()
    # the service holds the rule for every caller, not only for the form
    from cases.errors import WorkflowError
    from mediators import services

    with pytest.raises(WorkflowError):
        services.record_session(case=case, actor=world.officer1, mediators=[choice.mediator],
                                held_at=case.reported_at - timedelta(days=2), place="调解室",
                                attendees="双方", format="joint", record="记录", outcome="continue")
    assert not case.sessions.exists()


@pytest.mark.parametrize("deadline", ["2020-01-01", "9999-12-31"])
def test_a_supervision_deadline_far_away_is_an_error(client, world, deadline):
    case = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    client.force_login(world.streetlead)
    response = client.post(reverse("cases:supervise", args=[case.pk]), {"text": "请处理", "deadline": deadline})
    assert response.status_code == 400 and not case.tasks.exists()


# 9. the loser of a race keeps what they typed


def test_when_the_step_is_gone_the_loser_sees_what_they_typed(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    stale_version = case.version
    from tests.factories import act

    act(case, "escalate", world.stationlead)  # somebody else was faster
    client.force_login(world.officer1)
    response = client.post(reverse("cases:transition", args=[case.pk, "withdraw"]), {
        "withdraw-version": stale_version, "withdraw-withdrawal_reason": "双方已经和好，申请撤回（我写的理由）",
        "withdraw-note": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "双方已经和好，申请撤回（我写的理由）" in html and 'id="kept"' in html
    assert Case.objects.get(pk=case.pk).state == "escalated"


def test_when_the_step_is_still_possible_the_form_comes_back_filled(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    stale_version = case.version
    choose(case, world.admin)
    from tests.factories import act

    act(Case.objects.get(pk=case.pk), "start_mediation", world.admin)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:transition", args=[case.pk, "escalate"]), {
        "escalate-version": stale_version, "escalate-escalation_reason": "涉及多户，需要所街兜底", "escalate-note": ""})
    assert response.status_code == 409
    assert response.context["open_action"] == "escalate"
    assert "涉及多户，需要所街兜底" in response.content.decode()


def test_a_second_follow_up_visit_keeps_its_notes(client, world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.admin)
    visit = case.follow_ups.get()
    loop.record_follow_up(follow_up=visit, actor=world.worker1, fulfilled=True, satisfaction="satisfied", note="先到")
    client.force_login(world.officer1)
    response = client.post(reverse("cases:follow_up", args=[case.pk, visit.pk]), {
        "fulfilled": "yes", "satisfaction": "very", "note": "后到的回访记录"})
    assert response.status_code == 409 and "后到的回访记录" in response.content.decode()


# 11. a retried intake does not create a second case


def test_the_same_intake_form_sent_twice_logs_one_case(client, world):
    from tests.cases.test_case_create import URL, form_data

    client.force_login(world.worker1)
    page = client.get(URL)
    token = page.context["form"]["intake_token"].value()
    assert token and f'value="{token}"' in page.content.decode()
    first = client.post(URL, form_data(world.grid1, intake_token=token))
    second = client.post(URL, form_data(world.grid1, intake_token=token))
    cases = Case.objects.filter(title="商铺装修截断共用污水管")
    assert cases.count() == 1
    assert first["Location"] == second["Location"] == cases.get().get_absolute_url()
    other_form = client.get(URL).context["form"]["intake_token"].value()
    assert other_form != token  # a new blank form logs a new case


# 12. a file whose transaction fails does not stay on disk


def test_attachments_of_a_failed_write_are_removed_from_disk(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases import workflow

    settings.MEDIA_ROOT = str(tmp_path)
    case = make_case(grid=world.grid1, actor=world.worker1)

    def upload(name, size=None):
        f = SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
        f.fengqiao_kind, f.fengqiao_content_type = "photo", "image/png"
        if size is not None:
            f.size = size  # the database refuses a negative size after the file is written
        return f

    with pytest.raises(Exception):
        workflow.add_attachments(case=case, actor=world.worker1, files=[upload("a.png"), upload("b.png", size=-1)])
    assert not case.attachments.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    workflow.add_attachments(case=case, actor=world.worker1, files=[upload("c.png")])
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


# 6 (found by the fuzz). ids beyond a 64-bit integer


def test_an_id_beyond_64_bits_is_an_invalid_choice_not_a_500(client, world, chen):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    choose(case, world.admin, mediator=chen)
    from tests.factories import act

    act(Case.objects.get(pk=case.pk), "start_mediation", world.admin)
    client.force_login(world.officer1)
    response = client.post(reverse("mediators:session_create", args=[case.pk]), {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "调解室",
        "mediators": ["9223372036854775808"], "attendees": "双方", "format": "joint", "record": "记录",
        "outcome": "continue"})
    assert response.status_code == 400 and response.context["form"].errors["mediators"]
    client.force_login(world.streetlead)
    response = client.post(reverse("mediators:create"), {"name": "x", "communities": ["9223372036854775808"]})
    assert response.status_code == 400 and response.context["form"].errors["communities"]


def test_a_nul_character_in_an_export_filter_is_not_a_500(client, world):
    from cases.models import ExportRecord

    case_in_state("escalated", grid=world.grid1, actor=world.admin)
    client.force_login(world.streetlead)
    response = client.get(reverse("cases:ledger_export"), {"q": "a\x00b", "junk\x00": "x"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert ExportRecord.objects.get().filters == {"q": ["ab"]}


def test_no_file_stays_when_the_commit_itself_fails(transactional_world, settings, tmp_path, monkeypatch):
    """The database goes away between the last row and COMMIT (a restart at that moment): the
    rows never land, and neither do the files."""
    from django.db import OperationalError, connection

    from cases import workflow

    w = transactional_world
    settings.MEDIA_ROOT = str(tmp_path)
    case = make_case(grid=w.grid1, actor=w.worker1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    photo.fengqiao_kind, photo.fengqiao_content_type = "photo", "image/png"

    def commit_fails():
        connection.rollback()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_fails)
    with pytest.raises(OperationalError):
        workflow.add_attachments(case=case, actor=w.worker1, files=[photo])
    monkeypatch.undo()
    assert not case.attachments.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
