
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db
URL = reverse("cases:create")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def form_data(grid, **overrides):
    data = {
        "title": "商铺装修截断共用污水管", "category": "renovation", "channel": "grid_visit",
        "incident_number": "", "risk": "serious", "grid": grid.pk,
        "address": "凤鸣路12号", "occurred_at": "2026-11-20T09:30", "reported_at": "2026-11-21T10:00",
        "description": "沿街商铺装修截断共用污水管，楼上住户污水倒灌。",
        "parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1", "parties-MAX_NUM_FORMS": "20",
        "parties-0-name": "赵秀英", "parties-0-role": "applicant", "parties-0-phone": "13812345678",
        "parties-0-id_number": "11010519491231002X", "parties-0-address": "", "parties-0-notes": "独居老人",
        "parties-1-name": "钱店主", "parties-1-role": "respondent", "parties-1-phone": "0571-88886666",
        "parties-1-id_number": "", "parties-1-address": "凤鸣路12号商铺", "parties-1-notes": "",
    }
    data.update(overrides)
    return data


def test_a_worker_logs_a_case_with_two_parties(client, world):
    client.force_login(world.worker1)
    response = client.post(URL, form_data(world.grid1))
    case = Case.objects.get(title="商铺装修截断共用污水管")
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.number.startswith("栖凤-2026-")
    assert case.state == "reported" and case.created_by == world.worker1
    assert [p.name for p in case.parties.all()] == ["赵秀英", "钱店主"]
    assert case.due_at is not None
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.to_state) == ("created", world.worker1, "reported")


def test_a_worker_can_only_choose_grids_in_his_scope(client, world):
    client.force_login(world.worker1)
    html = client.get(URL).content.decode()
    assert f'value="{world.grid1.pk}"' in html and f'value="{world.grid2.pk}"' not in html
    response = client.post(URL, form_data(world.grid2))
    assert response.status_code == 400
    assert not Case.objects.filter(title="商铺装修截断共用污水管").exists()


def test_a_mediator_without_a_grid_may_not_log_cases(client, world):
    client.force_login(world.mediator1)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "这个字段是必填项"),
    ("parties-0-phone", "12345", "11位手机号"),
    ("parties-0-id_number", "110105194912310021", "身份证号"),
    ("incident_number", "", "110警情编号"),
])
def test_bad_input_is_shown_beside_the_field_and_nothing_typed_is_lost(client, world, field, value, message):
    client.force_login(world.worker1)
    data = form_data(world.grid1, **{field: value})
    if field == "incident_number":
        data["channel"] = "incident_110"
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    # everything else typed is still there
    assert "沿街商铺装修截断共用污水管，楼上住户污水倒灌。" in html
    assert 'value="赵秀英"' in html and 'value="凤鸣路12号商铺"' in html
    assert not Case.objects.filter(address="凤鸣路12号").exists()


def test_at_least_one_party_is_required(client, world):
    client.force_login(world.worker1)
    data = form_data(world.grid1)
    for i in (0, 1):
        for f in ("name", "role", "phone", "id_number", "address", "notes"):
            data[f"parties-{i}-{f}"] = ""
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "请提交至少 1 个表单" in response.content.decode() or "至少" in response.content.decode()


def test_a_10_mb_executable_is_refused_with_a_clear_message(client, world, settings):
    client.force_login(world.worker1)
    exe = SimpleUploadedFile("照片.exe", b"MZ" + b"\x00" * (10 * 1024 * 1024), "application/octet-stream")
    response = client.post(URL, {**form_data(world.grid1), "files": [exe]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "“照片.exe”大小为 10.0\xa0MB，每个文件不能超过 10 MB。" in html
    assert not Case.objects.filter(address="凤鸣路12号").exists()


def test_an_executable_renamed_as_a_photo_is_refused(client, world):
    client.force_login(world.worker1)
    fake = SimpleUploadedFile("现场.jpg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg")
    response = client.post(URL, {**form_data(world.grid1), "files": [fake]})
    assert response.status_code == 400
    assert "现场.jpg" in response.content.decode()


def test_a_photo_is_attached_and_served_only_to_people_who_may_see_the_case(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.worker1)
    photo = SimpleUploadedFile("现场.png", PNG, "image/png")
    client.post(URL, {**form_data(world.grid1), "files": [photo]})
    case = Case.objects.get(address="凤鸣路12号")
    attachment = case.attachments.get()
    assert (attachment.kind, attachment.original_name, attachment.size) == ("photo", "现场.png", len(PNG))
    url = reverse("cases:attachment", args=[case.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    client.force_login(world.worker2)
    assert client.get(url).status_code == 404
