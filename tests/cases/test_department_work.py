"""Departments do their part (issue 10, item 4): what was sent to a department contact is on
their work bench, and they add photos of the repair while their referral is open."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, CaseEvent, Referral
from grids import access
from grids.roles import Role
from tests.factories import a_department, case_in_state, person

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def contact(world):
    user = person("dept_pipe_test", Role.DEPARTMENT)
    a_department().contacts.add(user)
    return user


def refer(client, world, case, contact, request="请住建部门督促修复共用排污管"):
    client.force_login(world.streetlead)
    response = client.post(reverse("cases:transition", args=[case.pk, "refer"]), {
        "refer-version": case.version, "refer-department": a_department().pk,
        "refer-deadline": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "refer-request": request, "refer-contact": contact.pk})
    assert response.status_code == 302
    access.forget(contact)
    return Referral.objects.get(case=case)


def test_a_referral_waits_on_the_contacts_work_bench_until_it_is_reported_back(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    referral = refer(client, world, case, contact)

    client.force_login(contact)
    page = client.get(reverse("cases:workbench"))
    assert [r.pk for r in page.context["loop"]["referrals"]] == [referral.pk]
    html = page.content.decode()
    assert "转办给我的事项" in html and "请住建部门督促修复共用排污管" in html and "已移交" in html

    client.post(reverse("cases:referral_receive", args=[case.pk, referral.pk]))
    assert "已签收" in client.get(reverse("cases:workbench")).content.decode()

    response = client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]), {
        f"referral{referral.pk}-status": "handled", f"referral{referral.pk}-feedback": "管道已修复"})
    assert Referral.objects.get(pk=referral.pk).status == "handled"
    assert response.url == reverse("cases:workbench")  # the case is no longer hers to open
    access.forget(contact)
    page = client.get(reverse("cases:workbench"))
    assert page.context["loop"]["referrals"] == [] and "转办给我的事项" not in page.content.decode()


def test_other_people_have_no_referral_section(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    refer(client, world, case, contact)
    for user in (world.worker1, world.officer1, world.streetlead):
        client.force_login(user)
        assert client.get(reverse("cases:workbench")).context["loop"]["referrals"] == []


def test_the_department_attaches_photos_of_the_repair_while_its_referral_is_open(client, world, contact):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    referral = refer(client, world, case, contact)

    client.force_login(contact)
    page = client.get(case.get_absolute_url())
    assert page.context["attachment_form"] is not None  # the upload form is offered
    photo = SimpleUploadedFile("修复后.png", PNG, content_type="image/png")
    response = client.post(reverse("cases:attach", args=[case.pk]), {"files": [photo]})
    assert response.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert (attachment.original_name, attachment.uploaded_by) == ("修复后.png", contact)
    assert CaseEvent.objects.filter(case=case, actor=contact, kind="attachment").exists()

    # once the department has reported back, its access ends: no more uploads
    client.post(reverse("cases:referral_close", args=[case.pk, referral.pk]), {
        f"referral{referral.pk}-status": "handled", f"referral{referral.pk}-feedback": "管道已修复"})
    access.forget(contact)
    photo = SimpleUploadedFile("再传.png", PNG, content_type="image/png")
    response = client.post(reverse("cases:attach", args=[case.pk]), {"files": [photo]})
    assert response.status_code == 404
    assert Attachment.objects.filter(case=case).count() == 1


def test_an_administrator_adds_a_department_with_its_contact_in_the_admin(client, world, contact):
    from cases.models import Department

    client.force_login(world.admin)
    assert client.get(reverse("admin:cases_department_add")).status_code == 200
    response = client.post(reverse("admin:cases_department_add"), {
        "name": "区市场监管局", "kind": "market", "contact_name": "王科长", "phone": "0571-87000000",
        "contacts": [contact.pk]})
    assert response.status_code == 302
    department = Department.objects.get(name="区市场监管局")
    assert list(department.contacts.all()) == [contact]
    record = department.history.get(history_type="+")  # the trail: who added it, when
    assert record.history_user == world.admin
    # and it is offered when a case is referred
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    form = client.get(case.get_absolute_url()).context["send_referral_form"]
    assert department in form.fields["department"].queryset
