"""Linked and merged cases (issue 11, item 8): related cases shown on both pages, and a duplicate
merged into the case that stays — withdrawn "merged into …", its parties and attachments moved
over, both timelines saying so."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from cases import corrections, links
from cases.errors import StaleCase, WorkflowError
from cases.models import Attachment, Case, CaseEvent, CaseLink, Party
from cases.timeline import FIELDS
from tests.factories import case_in_state, make_case
from tests.helpers import count_queries, run_in_parallel

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def linked_on_page(client, case):
    page = client.get(case.get_absolute_url())
    assert page.status_code == 200
    return [c.number for c in page.context["related"].cases]


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("id"))


def link(client, case, number, note=""):
    return client.post(reverse("cases:link", args=[case.pk]), {"link-number": number, "link-note": note})


@pytest.fixture
def two_cases(world):
    first = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    second = make_case(grid=world.grid1, actor=world.worker1, title="同一楼道漏水的另一户")
    return first, second


# --- linking --------------------------------------------------------------------------------


def test_a_linked_case_is_shown_on_both_pages_and_both_timelines(client, world, two_cases):
    first, second = two_cases
    client.force_login(world.worker1)
    response = link(client, first, f"  {second.number} ", note="同一楼道漏水")
    assert response.status_code == 302
    assert linked_on_page(client, first) == [second.number]
    assert linked_on_page(client, second) == [first.number]
    page = client.get(second.get_absolute_url()).content.decode()
    assert 'id="related"' in page and first.get_absolute_url() in page and "同一楼道漏水" in page
    assert [e.data for e in events(first, "cases_linked")] == [{"case_number": second.number}]
    assert [e.data for e in events(second, "cases_linked")] == [{"case_number": first.number}]
    link_row = CaseLink.objects.get()
    assert (link_row.case_a_id, link_row.case_b_id) == tuple(sorted((first.pk, second.pk)))


def test_linking_the_same_pair_again_from_either_side_changes_nothing(client, world, two_cases):
    first, second = two_cases
    client.force_login(world.officer1)
    link(client, first, second.number)
    assert link(client, second, first.number).status_code == 302
    assert link(client, first, second.number).status_code == 302
    assert CaseLink.objects.count() == 1
    assert len(events(first, "cases_linked")) == len(events(second, "cases_linked")) == 1


def test_a_case_outside_the_users_scope_gets_the_same_answer_as_a_number_that_does_not_exist(client, world):
    mine = make_case(grid=world.grid1, actor=world.worker1)
    elsewhere = make_case(grid=world.grid2, actor=world.worker2)
    client.force_login(world.worker1)
    outside = link(client, mine, elsewhere.number)
    unknown = link(client, mine, "栖凤-1999-999999")
    assert outside.status_code == unknown.status_code == 400
    assert outside.context["link_form"].errors == unknown.context["link_form"].errors
    assert outside.context["link_form"].errors["number"]
    assert elsewhere.get_absolute_url() not in outside.content.decode()  # the typed number is only echoed
    assert not CaseLink.objects.exists()
    assert not CaseEvent.objects.filter(kind="cases_linked").exists()


def test_a_case_cannot_be_linked_to_itself(client, world, two_cases):
    first, _second = two_cases
    client.force_login(world.officer1)
    response = link(client, first, first.number)
    assert response.status_code == 400
    assert response.context["link_form"].errors["number"]
    assert not CaseLink.objects.exists()


def test_a_reader_sees_only_the_linked_cases_in_their_scope(client, world):
    mine = make_case(grid=world.grid1, actor=world.worker1)
    elsewhere = make_case(grid=world.grid2, actor=world.worker2)
    links.link_cases(case=mine, other=elsewhere, actor=world.streetlead)
    client.force_login(world.streetlead)
    assert linked_on_page(client, mine) == [elsewhere.number]
    client.force_login(world.worker1)
    assert linked_on_page(client, mine) == []


def test_unlinking_takes_the_link_off_both_pages(client, world, two_cases):
    first, second = two_cases
    client.force_login(world.officer1)
    link(client, first, second.number)
    response = client.post(reverse("cases:unlink", args=[second.pk, first.pk]))
    assert response.status_code == 302
    assert linked_on_page(client, first) == linked_on_page(client, second) == []
    assert not CaseLink.objects.exists()
    assert [e.data for e in events(first, "cases_unlinked")] == [{"case_number": second.number}]
    assert [e.data for e in events(second, "cases_unlinked")] == [{"case_number": first.number}]


@pytest.mark.parametrize("who,status", [("worker2", 404), ("worker_fh", 404), ("auxiliary1", 403),
                                        ("worker1", 302)])
def test_linking_is_for_the_handlers_of_the_case(client, world, two_cases, who, status):
    first, second = two_cases
    client.force_login(getattr(world, who))
    assert link(client, first, second.number).status_code == status
    assert client.post(reverse("cases:unlink", args=[first.pk, second.pk])).status_code == status


def test_the_case_page_reads_its_links_in_one_query_however_many_there_are(client, world, two_cases):
    first, second = two_cases
    links.link_cases(case=first, other=second, actor=world.officer1)
    client.force_login(world.officer1)
    few, _sql = count_queries(client, first.get_absolute_url())
    for _i in range(4):
        links.link_cases(case=first, other=make_case(grid=world.grid1, actor=world.worker1), actor=world.officer1)
    many, sql = count_queries(client, first.get_absolute_url())
    assert len(linked_on_page(client, first)) == 5
    assert few == many, "\n".join(sql)


# --- merging --------------------------------------------------------------------------------


@pytest.fixture
def duplicate(client, world):
    """A case logged twice: the second log, with its own party and a photo."""
    case = make_case(grid=world.grid1, actor=world.worker1, title="楼上漏水（重复登记）",
                     parties=[Party(name="赵小红", role="applicant", phone="13711112222")])
    client.force_login(world.worker1)
    client.post(reverse("cases:attach", args=[case.pk]),
                {"files": [SimpleUploadedFile("漏水照片.png", PNG, content_type="image/png")]})
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def survivor(world):
    return case_in_state("triaged", grid=world.grid1, actor=world.officer1)


def merge(client, duplicate, survivor, note="同一纠纷重复登记", version=None):
    return client.post(reverse("cases:merge", args=[duplicate.pk]), {
        "version": duplicate.version if version is None else version, "into": survivor.number, "note": note})


def test_merging_moves_parties_and_attachments_and_withdraws_the_duplicate(client, world, duplicate, survivor):
    client.force_login(world.officer1)
    confirm = client.get(reverse("cases:merge", args=[duplicate.pk]) + f"?into={survivor.number}")
    assert confirm.status_code == 200
    assert "赵小红" in confirm.content.decode() and "漏水照片.png" in confirm.content.decode()
    assert confirm.context["survivor"] == survivor

    response = merge(client, duplicate, survivor)
    assert response.status_code == 302 and response.url == survivor.get_absolute_url()
    gone, stays = Case.objects.get(pk=duplicate.pk), Case.objects.get(pk=survivor.pk)
    assert gone.state == "withdrawn" and gone.merged_into == stays
    assert survivor.number in gone.withdrawal_reason
    assert "赵小红" in set(stays.parties.values_list("name", flat=True))
    assert not gone.parties.exists() and not gone.attachments.exists()
    photo = Attachment.objects.get(original_name="漏水照片.png")
    assert photo.case == stays
    assert client.get(reverse("cases:attachment", args=[stays.pk, photo.pk])).status_code == 200
    assert stays.version == survivor.version + 1  # it has new parties: forms against it are stale
    assert linked_on_page(client, stays) == [gone.number]


def test_both_timelines_say_so_and_the_duplicate_points_to_the_case_that_stays(client, world, duplicate, survivor):
    client.force_login(world.officer1)
    merge(client, duplicate, survivor, note="同一纠纷重复登记")
    into, = events(duplicate, "merged_into")
    assert into.data["case_number"] == survivor.number and into.note == "同一纠纷重复登记"
    withdrawn = events(duplicate, "transition")[-1]
    assert (withdrawn.action, withdrawn.to_state) == ("withdraw", "withdrawn")
    came, = events(survivor, "merged_from")
    assert came.data["case_number"] == duplicate.number and "赵小红" in came.data["parties"]
    shown = [row for v in client.get(survivor.get_absolute_url()).context["events"] for row in v.details]
    assert (FIELDS["case_number"].label, duplicate.number) in shown

    page = client.get(duplicate.get_absolute_url())
    assert page.context["related"].merged_into == survivor
    html = page.content.decode()
    assert 'id="merged-into"' in html and survivor.get_absolute_url() in html


def test_a_stale_merge_answers_409_keeps_the_note_and_moves_nothing(client, world, duplicate, survivor):
    client.force_login(world.officer1)
    seen = duplicate.version
    corrections.edit_case(case_id=duplicate.pk, actor=world.worker1, version=seen,
                          values={"title": "楼上漏水（已更正）"})
    response = merge(client, duplicate, survivor, note="我写的理由", version=seen)
    assert response.status_code == 409
    form = response.context["form"]
    assert form["note"].value() == "我写的理由" and form["version"].value() == str(seen + 1)
    gone = Case.objects.get(pk=duplicate.pk)
    assert gone.state == "reported" and gone.merged_into is None
    assert gone.parties.count() == 1 and gone.attachments.count() == 1
    assert Case.objects.get(pk=survivor.pk).version == survivor.version
    assert not CaseLink.objects.exists() and not CaseEvent.objects.filter(kind="merged_from").exists()
    # sent again as it now stands, it merges
    assert merge(client, duplicate, survivor, version=seen + 1).status_code == 302


@pytest.mark.parametrize("who,status", [("worker2", 404), ("officer_fh", 404), ("auxiliary1", 403),
                                        ("officer1", 200)])
def test_merging_is_for_the_handlers_of_the_case(client, world, duplicate, survivor, who, status):
    client.force_login(getattr(world, who))
    assert client.get(reverse("cases:merge", args=[duplicate.pk])).status_code == status
    if status != 200:
        assert merge(client, duplicate, survivor).status_code == status
        assert Case.objects.get(pk=duplicate.pk).state == "reported"


def test_a_duplicate_that_can_no_longer_be_withdrawn_is_refused(client, world, survivor):
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.stationlead)
    page = client.get(reverse("cases:merge", args=[escalated.pk]))
    assert page.status_code == 200 and page.context["blocker"] and 'id="merge-refused"' in page.content.decode()
    assert merge(client, escalated, survivor).status_code == 409
    assert Case.objects.get(pk=escalated.pk).state == "escalated"
    assert escalated.parties.count() == 2 and not CaseLink.objects.exists()
    with pytest.raises(WorkflowError):
        links.merge_case(duplicate=escalated, survivor=survivor, actor=world.stationlead, version=escalated.version)


def test_a_case_that_has_ended_cannot_be_what_stays(client, world, duplicate):
    resolved = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = merge(client, duplicate, resolved)
    assert response.status_code == 409 and response.context["form"].non_field_errors()
    assert Case.objects.get(pk=duplicate.pk).state == "reported" and duplicate.parties.count() == 1


def test_a_merge_into_a_case_outside_the_scope_reads_as_an_unknown_number(client, world, duplicate):
    elsewhere = make_case(grid=world.grid2, actor=world.worker2)
    client.force_login(world.worker1)
    response = merge(client, duplicate, elsewhere)
    assert response.status_code == 400 and response.context["form"].errors["into"]
    assert Case.objects.get(pk=duplicate.pk).state == "reported"


def test_a_merged_pair_stays_linked(client, world, duplicate, survivor):
    client.force_login(world.officer1)
    merge(client, duplicate, survivor)
    assert client.post(reverse("cases:unlink", args=[survivor.pk, duplicate.pk])).status_code == 409
    assert CaseLink.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cases_merged_into_each_other_at_once_merge_once_without_a_deadlock(transactional_world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel connections need PostgreSQL (SQLite serialises writers)")
    w = transactional_world
    first, second = (make_case(grid=w.grid1, actor=w.worker1) for _ in range(2))

    def merging(duplicate, survivor, actor):
        return lambda: links.merge_case(duplicate=duplicate, survivor=survivor, actor=actor, version=duplicate.version)

    results = run_in_parallel(merging(first, second, w.officer1), merging(second, first, w.stationlead))
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, StaleCase)]
    assert len(winners) == len(losers) == 1, results
    states = sorted(Case.objects.filter(pk__in=(first.pk, second.pk)).values_list("state", flat=True))
    assert states == ["reported", "withdrawn"]
    assert CaseEvent.objects.filter(kind="merged_from").count() == 1
