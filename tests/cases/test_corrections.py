"""Correcting and extending a case after intake (issue 10, item 2): its details, a fourth party,
a party's details, another lead handler, the right grid (转办) — each a step with its own form,
permission and timeline event showing before → after."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import corrections
from cases.choices import Category, Channel
from cases.errors import StaleCase, WorkflowError
from cases.models import Case, CaseEvent, Notification, Party
from cases.timeline import FIELDS
from grids.models import CommunityGrid
from grids.selectors import people_on_grids
from tests.factories import case_in_state, make_case

pytestmark = pytest.mark.django_db


def details_form(case, **changes):
    data = {"version": case.version, "title": case.title, "category": case.category, "channel": case.channel,
            "incident_number": case.incident_number, "address": case.address,
            "occurred_at": "", "description": case.description, "note": ""}
    return {**data, **changes}


def last_event(case):
    return CaseEvent.objects.filter(case=case).latest("id")


def shown(client, case):
    """The timeline entries of the case page as (title, [(label, value)])."""
    return [(v.title, v.details) for v in client.get(case.get_absolute_url()).context["events"]]


# --- the case's details ---------------------------------------------------------------------


def test_a_worker_corrects_the_details_and_the_timeline_shows_only_what_changed(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    page = client.get(reverse("cases:edit", args=[case.pk]))
    assert page.status_code == 200
    assert page.context["form"]["title"].value() == case.title  # pre-filled

    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(
        case, title="楼上卫生间漏水致楼下天花板受损", address="栖凤社区3幢2单元", note="现场核实后更正"))
    assert response.status_code == 302
    updated = Case.objects.get(pk=case.pk)
    assert (updated.title, updated.address, updated.version) == (
        "楼上卫生间漏水致楼下天花板受损", "栖凤社区3幢2单元", case.version + 1)
    event = last_event(case)
    assert event.kind == "case_edited" and event.actor == world.worker1 and event.note == "现场核实后更正"
    assert set(event.data) == {"title", "address"}
    assert event.data["title"] == {"from": case.title, "to": "楼上卫生间漏水致楼下天花板受损"}
    _title, rows = shown(client, case)[-1]
    assert (FIELDS["address"].label, f"{case.address} → 栖凤社区3幢2单元") in rows


def test_a_category_and_channel_read_in_words_before_and_after(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    client.post(reverse("cases:edit", args=[case.pk]), details_form(
        case, category="property_mgmt", channel="incident_110", incident_number="J330100202611230042"))
    event = last_event(case)
    assert set(event.data) == {"category", "channel", "incident_number"}
    values = dict((str(label), value) for label, value in shown(client, case)[-1][1])
    with translation.override("zh-hans"):
        category, channel = str(FIELDS["category"].label), str(FIELDS["channel"].label)
        assert values[category] == f"{Category(case.category).label} → {Category.PROPERTY_MGMT.label}"
        assert values[channel].endswith(f"→ {Channel.INCIDENT_110.label}")


def test_a_110_case_without_its_incident_number_is_refused_next_to_the_field(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case, channel="incident_110"))
    assert response.status_code == 400
    assert response.context["form"].errors["incident_number"]
    assert response.context["form"]["channel"].value() == "incident_110"  # what was typed is kept
    assert Case.objects.get(pk=case.pk).version == case.version


def test_a_date_after_the_report_is_refused_next_to_the_field(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    later = timezone.localtime(case.reported_at + timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case, occurred_at=later))
    assert response.status_code == 400 and response.context["form"].errors["occurred_at"]


def test_sending_the_same_details_changes_nothing_and_says_so(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    events = CaseEvent.objects.filter(case=case).count()
    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case))
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_stale_form_is_refused_keeps_what_was_typed_and_shows_the_case_now(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    client.post(reverse("cases:edit", args=[case.pk]), details_form(case, title="别人先改的标题"))

    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case, address="我输入的地址"))
    assert response.status_code == 409
    form = response.context["form"]
    assert form["address"].value() == "我输入的地址"  # nothing typed is lost
    assert int(form["version"].value()) == case.version + 1  # sending it again applies it
    assert (str(Case._meta.get_field("title").verbose_name), "别人先改的标题") in response.context["now"]
    assert (world.worker1.get_full_name() or "worker1") in response.content.decode()  # who changed it
    assert Case.objects.get(pk=case.pk).address == case.address

    again = client.post(reverse("cases:edit", args=[case.pk]), dict(form.data.items()))
    assert again.status_code == 302
    assert Case.objects.get(pk=case.pk).address == "我输入的地址"


def test_after_a_conflict_a_changed_category_is_shown_in_words(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    client.post(reverse("cases:edit", args=[case.pk]), details_form(case, category="debt"))
    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case, title="我的更正"))
    assert response.status_code == 409
    now = dict(response.context["now"])
    assert now[str(Case._meta.get_field("category").verbose_name)] == str(Category.DEBT.label)


def test_a_party_revealed_in_place_keeps_its_correct_link(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    party = case.parties.first()
    client.force_login(world.worker1)
    response = client.post(reverse("cases:reveal", args=[case.pk, party.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "13812345678" in html and reverse("cases:party_edit", args=[case.pk, party.pk]) in html


def test_a_closed_case_cannot_be_corrected_and_the_input_is_kept(client, world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    assert client.get(reverse("cases:edit", args=[case.pk])).status_code == 403
    response = client.post(reverse("cases:edit", args=[case.pk]), details_form(case, title="迟到的更正"))
    assert response.status_code == 409
    assert "迟到的更正" in response.content.decode()
    assert f'href="{reverse("cases:edit", args=[case.pk])}"' not in response.content.decode()


@pytest.mark.parametrize("who,status", [
    ("worker1", 200), ("officer1", 200), ("stationlead", 200), ("streetlead", 200), ("admin", 200),
    ("auxiliary1", 403), ("mediator1", 404), ("worker2", 404), ("worker_fh", 404),
])
def test_who_may_correct_the_details(client, world, who, status):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(getattr(world, who))
    assert client.get(reverse("cases:edit", args=[case.pk])).status_code == status


# --- parties --------------------------------------------------------------------------------


def party_form(case, **fields):
    return {"version": case.version, "name": "", "role": "other", "phone": "", "id_number": "",
            "address": "", "notes": "", "note": "", **fields}


def test_a_fourth_party_is_added_and_its_numbers_are_masked_on_the_timeline(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1, parties=[
        Party(name="王建国", role="applicant"), Party(name="李秀英", role="respondent"),
        Party(name="张伟", role="other")])
    client.force_login(world.worker1)
    page = client.get(case.get_absolute_url()).content.decode()
    assert reverse("cases:party_add", args=[case.pk]) in page

    response = client.post(reverse("cases:party_add", args=[case.pk]), party_form(
        case, name="赵敏", role="respondent", phone="13700001111", id_number="11010519491231002X",
        notes="出租屋房东"))
    assert response.status_code == 302
    assert list(case.parties.values_list("name", flat=True)) == ["王建国", "李秀英", "张伟", "赵敏"]
    event = last_event(case)
    assert event.kind == "party_added"
    assert event.data["name"] == "赵敏" and event.data["party_role"] == "respondent"
    assert event.data["phone"] == "137****1111" and event.data["id_number"] == "1101**********002X"
    assert "13700001111" not in str(event.data) and "11010519491231002X" not in str(event.data)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "13700001111" not in page and "137****1111" in page


def test_a_party_with_a_bad_phone_is_refused_next_to_the_field(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.worker1)
    response = client.post(reverse("cases:party_add", args=[case.pk]), party_form(
        case, name="赵敏", phone="12345"))
    assert response.status_code == 400 and response.context["form"].errors["phone"]
    assert response.context["form"]["name"].value() == "赵敏"
    assert case.parties.count() == 2


def test_correcting_a_party_keeps_the_masked_numbers_as_stored(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    party = case.parties.get(name="王建国")
    client.force_login(world.worker1)
    page = client.get(reverse("cases:party_edit", args=[case.pk, party.pk]))
    form = page.context["form"]
    assert form["phone"].value() == "138****5678" and form["id_number"].value() == "1101**********002X"
    assert "13812345678" not in page.content.decode()

    response = client.post(reverse("cases:party_edit", args=[case.pk, party.pk]), party_form(
        case, name="王建国", role="applicant", phone="138****5678", id_number="1101**********002X",
        address="栖凤社区3幢201室"))
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.phone, party.id_number, party.address) == ("13812345678", "11010519491231002X", "栖凤社区3幢201室")
    event = last_event(case)
    assert event.kind == "party_changed"
    assert event.data == {"name": "王建国", "address": {"from": "", "to": "栖凤社区3幢201室"}}


def test_a_new_phone_is_typed_in_full_and_shown_masked_before_and_after(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    party = case.parties.get(name="王建国")
    client.force_login(world.worker1)
    url = reverse("cases:party_edit", args=[case.pk, party.pk])
    base = party_form(case, name="王建国", role="applicant", phone="138****5678", id_number="1101**********002X")
    half = client.post(url, {**base, "phone": "139****0000"})
    assert half.status_code == 400 and half.context["form"].errors["phone"]

    assert client.post(url, {**base, "name": "王建军", "phone": "13900000000"}).status_code == 302
    party.refresh_from_db()
    assert (party.name, party.phone) == ("王建军", "13900000000")
    event = last_event(case)
    assert event.data["name"] == {"from": "王建国", "to": "王建军"}
    assert event.data["phone"] == {"from": "138****5678", "to": "139****0000"}
    assert "13900000000" not in str(event.data)


def test_a_party_of_another_case_is_not_found(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    other = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.worker1)
    url = reverse("cases:party_edit", args=[case.pk, other.parties.first().pk])
    assert client.get(url).status_code == 404


def test_a_mediator_reads_the_case_but_cannot_add_a_party(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.auxiliary1)
    assert client.get(reverse("cases:party_add", args=[case.pk])).status_code == 403
    assert reverse("cases:party_add", args=[case.pk]) not in client.get(case.get_absolute_url()).content.decode()


# --- the lead handler -----------------------------------------------------------------------


def test_the_officer_hands_the_case_to_a_worker_who_is_told(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    assert case.lead_handler == world.officer1
    client.force_login(world.officer1)
    page = client.get(reverse("cases:hand_over", args=[case.pk]))
    offered = list(page.context["form"].fields["lead_handler"].queryset)
    assert world.worker1 in offered and world.officer1 not in offered and world.worker2 not in offered

    response = client.post(reverse("cases:hand_over", args=[case.pk]), {
        "version": case.version, "lead_handler": world.worker1.pk, "note": "网格员熟悉双方"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).lead_handler == world.worker1
    event = last_event(case)
    assert event.kind == "handed_over" and event.note == "网格员熟悉双方"
    name = world.officer1.get_full_name() or world.officer1.username
    assert event.data["lead_handler"] == {"from": name, "to": world.worker1.get_full_name() or "worker1"}
    assert Notification.objects.filter(recipient=world.worker1, case=case, kind="assigned").exists()


def test_someone_outside_the_grid_cannot_be_made_lead_handler(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:hand_over", args=[case.pk]), {
        "version": case.version, "lead_handler": world.worker2.pk})
    assert response.status_code == 400 and response.context["form"].errors["lead_handler"]
    assert Case.objects.get(pk=case.pk).lead_handler == world.officer1


@pytest.mark.parametrize("who,status", [("worker1", 403), ("officer1", 200), ("stationlead", 200),
                                        ("mediator1", 404)])
def test_who_may_hand_over(client, world, who, status):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(getattr(world, who))
    assert client.get(reverse("cases:hand_over", args=[case.pk])).status_code == status


# --- the grid -------------------------------------------------------------------------------


def neighbour_grid(world):
    """A community grid of officer1's police grid other than grid1 (QF-01-01..04)."""
    return CommunityGrid.objects.get(code="QF-01-02")


def test_the_officer_moves_the_case_to_the_right_grid(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    target = neighbour_grid(world)
    client.force_login(world.officer1)
    page = client.get(reverse("cases:move_grid", args=[case.pk]))
    offered = list(page.context["form"].fields["grid"].queryset)
    assert target in offered and world.grid1 not in offered and world.grid2 not in offered

    response = client.post(reverse("cases:move_grid", args=[case.pk]), {
        "version": case.version, "grid": target.pk, "note": "纠纷发生地在相邻网格"})
    assert response.status_code == 302
    moved = Case.objects.get(pk=case.pk)
    assert moved.grid == target and moved.number == case.number
    assert moved.lead_handler == world.officer1  # the officer covers the new grid too
    event = last_event(case)
    assert event.kind == "grid_moved" and set(event.data) == {"grid"}
    assert event.data["grid"]["to"].endswith(target.name)
    # the case's access follows its grid: worker1 no longer sees it, the new grid's workers do
    new_workers = people_on_grids([target.pk])[target.pk]
    assert new_workers
    assert Notification.objects.filter(case=case, kind="moved_in", recipient__in=new_workers).count() == len(new_workers)
    client.force_login(world.worker1)
    assert client.get(case.get_absolute_url()).status_code == 404
    client.force_login(new_workers[0])
    assert client.get(case.get_absolute_url()).status_code == 200


def test_a_lead_handler_not_on_the_new_grid_stops_carrying_it(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=case.pk).update(lead_handler=world.worker1)
    case.refresh_from_db()
    client.force_login(world.stationlead)
    response = client.post(reverse("cases:move_grid", args=[case.pk]), {
        "version": case.version, "grid": world.grid2.pk, "note": "属另一警务区"})
    assert response.status_code == 302
    moved = Case.objects.get(pk=case.pk)
    assert moved.grid == world.grid2 and moved.lead_handler is None
    event = last_event(case)
    assert event.data["lead_handler"]["to"] is None
    assert Notification.objects.filter(case=case, kind="moved_in", recipient=world.officer2).exists()


def test_a_grid_the_actor_does_not_act_on_is_refused(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("cases:move_grid", args=[case.pk]), {
        "version": case.version, "grid": world.grid2.pk, "note": "试图转出"})
    assert response.status_code == 400 and response.context["form"].errors["grid"]
    response = client.post(reverse("cases:move_grid", args=[case.pk]), {
        "version": case.version, "grid": neighbour_grid(world).pk, "note": ""})
    assert response.status_code == 400 and response.context["form"].errors["note"]
    assert Case.objects.get(pk=case.pk).grid == world.grid1


@pytest.mark.parametrize("who,status", [("worker1", 403), ("auxiliary1", 403), ("officer1", 200),
                                        ("streetlead", 200), ("officer2", 404)])
def test_who_may_move_a_case(client, world, who, status):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(getattr(world, who))
    assert client.get(reverse("cases:move_grid", args=[case.pk])).status_code == status


def test_the_case_page_links_to_the_steps_the_user_may_take(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    steps = ("cases:edit", "cases:hand_over", "cases:move_grid", "cases:party_add")
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert all(reverse(name, args=[case.pk]) in html for name in steps)
    client.force_login(world.worker1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert [reverse(name, args=[case.pk]) in html for name in steps] == [True, False, False, True]
    client.force_login(world.mediator1)
    closed = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    html = client.get(closed.get_absolute_url()).content.decode()
    assert not any(reverse(name, args=[closed.pk]) in html for name in steps)


# --- the services, called directly -----------------------------------------------------------


def test_two_corrections_against_the_same_version_one_wins(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    corrections.edit_case(case_id=case.pk, actor=world.officer1, version=case.version, values={"title": "先到的更正"})
    with pytest.raises(StaleCase):
        corrections.edit_case(case_id=case.pk, actor=world.worker1, version=case.version, values={"address": "后到"})
    with pytest.raises(StaleCase):
        corrections.hand_over(case_id=case.pk, actor=world.officer1, version=case.version, lead_handler=world.worker1)
    with pytest.raises(StaleCase):
        corrections.add_party(case_id=case.pk, actor=world.worker1, version=case.version,
                              party=Party(name="赵敏", role="other"))
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.title, fresh.address, fresh.lead_handler, fresh.parties.count()) == (
        "先到的更正", case.address, world.officer1, 2)


def test_the_services_ask_the_same_capability_as_the_pages(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    with pytest.raises(corrections.StepNotAvailable):
        corrections.move_grid(case_id=case.pk, actor=world.worker1, version=case.version,
                              grid=neighbour_grid(world), note="网格员不能转办")
    with pytest.raises(corrections.StepNotAvailable):
        corrections.edit_case(case_id=case.pk, actor=world.auxiliary1, version=case.version, values={"title": "辅警"})
    with pytest.raises(WorkflowError):  # a grid the officer does not act on
        corrections.move_grid(case_id=case.pk, actor=world.officer1, version=case.version,
                              grid=world.grid2, note="越界")
    assert Case.objects.get(pk=case.pk).grid == world.grid1
