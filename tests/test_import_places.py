"""A street's rollout from Excel (issue 11, item 9): `manage.py import_places` and the admin page.
A two-street workbook imports and its people see exactly their places; one bad row imports
nothing and is named by sheet and row; importing again changes nothing; an overlapping workbook
adds only what is new; only administrators may use the page."""

import io
from collections import Counter

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override

from cases import permissions
from cases.choices import Category, DepartmentKind
from cases.models import Department
from config.places_import import SHEETS, import_places
from grids import access
from grids.models import (
    Community,
    CommunityGrid,
    CommunityGridUserObjectPermission,
    GridLink,
    PoliceGrid,
    PoliceGridUserObjectPermission,
    PoliceStation,
    PoliceStationUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)
from grids.roles import Role
from mediators.models import Mediator, Profession, Specialty, Team
from tests.factories import case_in_state, person

pytestmark = pytest.mark.django_db

User = get_user_model()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zh(choice) -> str:
    """A vocabulary's label as the workbook's filler writes it: the app's Chinese name."""
    with override("zh-hans"):
        return str(choice.label)


def sheets(*, west=True, east_post="东一社区警务室") -> dict[str, list[list]]:
    """Two streets (试点东, 试点西) in the workbook's format; `west=False` leaves the second out."""
    book = {
        "街道": [["街道名称", "案件编号前缀"], ["试点东街道", "试东"], ["试点西街道", "试西"]],
        "社区": [["所属街道", "社区名称"], ["试点东街道", "东一社区"], ["试点东街道", "东二社区"],
                 ["试点西街道", "西一社区"]],
        # columns in another order, and one the import does not know
        "网格": [["网格编码", "备注", "所属街道", "所属社区", "网格名称"],
                 ["SD-01-01", "", "试点东街道", "东一社区", "第1网格"],
                 ["SD-01-02", "老小区", "试点东街道", "东一社区", "第2网格"],
                 ["SD-02-01", "", "试点东街道", "东二社区", "第1网格"],
                 ["SX-01-01", "", "试点西街道", "西一社区", "第1网格"]],
        "派出所": [["派出所名称"], ["试点东派出所"], ["试点西派出所"]],
        "警务区": [["所属派出所", "警务区名称", "警务区编码", "警务室（站）", "覆盖网格"],
                   ["试点东派出所", "东第一警务区", "SD-J01", east_post, "SD-01-01、SD-01-02"],
                   ["试点东派出所", "东第二警务区", "SD-J02", "东二社区警务室", "SD-02-01"],
                   ["试点西派出所", "西第一警务区", "SX-J01", "西一社区警务室", "SX-01-01"]],
        "人员": [["账号", "姓名", "角色", "所在地点"],
                 ["sd_worker", "赵东一", zh(Role.WORKER), "SD-01-01"],
                 ["sd_worker", "赵东一", zh(Role.WORKER), "SD-02-01"],
                 ["sd_officer", "钱东警", zh(Role.OFFICER), "SD-J01"],
                 ["sd_stationlead", "孙东所", zh(Role.STATION_LEADER), "试点东派出所"],
                 ["sd_streetlead", "李东街", zh(Role.STREET_LEADER), "试点东街道"],
                 ["sd_dept", "郑科长", zh(Role.DEPARTMENT), ""],
                 ["sd_mediator", "王调解", zh(Role.MEDIATOR), ""],
                 ["sx_worker", "周西一", zh(Role.WORKER), "SX-01-01"],
                 ["sx_streetlead", "吴西街", zh(Role.STREET_LEADER), "试点西街道"]],
        "部门": [["部门名称", "部门类型", "联系人", "电话", "联系人账号"],
                 ["试点东住建办", zh(DepartmentKind.HOUSING), "郑科长", "0571-88000001", "sd_dept"]],
        "调解员": [["姓名", "调解队伍", "所在单位", "职业", "电话", "服务社区", "擅长领域", "关联账号"],
                   ["王调解", zh(Team.PEOPLES), "东一社区人民调解委员会", zh(Profession.ELDER), "13800001111",
                    "试点东街道/东一社区、东二社区", f"{zh(Category.NEIGHBOUR)}、{zh(Category.FAMILY)}",
                    "sd_mediator"]],
    }
    if not west:
        book = {name: [row for row in rows if not any("西" in str(cell) or str(cell).startswith(("SX", "sx_"))
                                                      for cell in row)] for name, rows in book.items()}
    return book


def write(path, book) -> str:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in book.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return str(path)


def as_bytes(book) -> bytes:
    content = io.BytesIO()
    write(content, book)
    return content.getvalue()


TABLES = [Street, Community, CommunityGrid, PoliceStation, PoliceGrid, GridLink, User, Department,
          Mediator, Specialty, CommunityGridUserObjectPermission, PoliceGridUserObjectPermission,
          PoliceStationUserObjectPermission, StreetUserObjectPermission,
          Department.contacts.through, Mediator.communities.through, User.groups.through]


def snapshot() -> dict:
    """Rows in every table an import writes, and in their history tables."""
    counts = {model.__name__: model.objects.count() for model in TABLES}
    counts.update({f"history of {model.__name__}": model.history.model.objects.count()
                   for model in TABLES if hasattr(model, "history")})
    return counts


def totals(outcome) -> Counter:
    return Counter({state: sum(row[i] for row in outcome.summary())
                    for i, state in enumerate(["created", "updated", "unchanged"], start=1)})


def codes(user) -> set[str]:
    return set(permissions.visible_cases(user).values_list("grid__code", flat=True))


# --- the import ---------------------------------------------------------------------------------


def test_it_imports_a_two_street_workbook_and_its_people_see_exactly_their_places(tmp_path, world):
    outcome = import_places(write(tmp_path / "two.xlsx", sheets()))
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert set(Street.objects.filter(name__startswith="试点").values_list("prefix", flat=True)) == {"试东", "试西"}
    assert set(PoliceGrid.objects.get(code="SD-J01").community_grids.values_list("code", flat=True)) == {
        "SD-01-01", "SD-01-02"}
    for grid in CommunityGrid.objects.filter(code__in=["SD-01-01", "SD-01-02", "SD-02-01", "SX-01-01"]):
        case_in_state("reported", grid=grid, actor=world.admin)
    people = User.objects.in_bulk(["sd_worker", "sd_officer", "sd_stationlead", "sd_streetlead", "sd_dept",
                                   "sd_mediator", "sx_worker", "sx_streetlead"], field_name="username")
    east = {"SD-01-01", "SD-01-02", "SD-02-01"}
    assert codes(people["sd_worker"]) == {"SD-01-01", "SD-02-01"}
    assert codes(people["sd_officer"]) == {"SD-01-01", "SD-01-02"}
    assert codes(people["sd_stationlead"]) == east
    assert codes(people["sd_streetlead"]) == east
    assert codes(people["sx_worker"]) == codes(people["sx_streetlead"]) == {"SX-01-01"}
    assert codes(people["sd_dept"]) == codes(people["sd_mediator"]) == set()
    assert access.scope_of(people["sd_officer"]).roles_on(
        CommunityGrid.objects.get(code="SD-01-01").pk) == {Role.OFFICER}
    assert not any(user.has_usable_password() for user in people.values())
    assert people["sd_worker"].first_name == "赵东一"
    department = Department.objects.get(name="试点东住建办")
    assert (department.kind, list(department.contacts.all())) == (DepartmentKind.HOUSING, [people["sd_dept"]])
    assert people["sd_dept"].groups.filter(name=Role.DEPARTMENT).exists()
    mediator = Mediator.objects.get(name="王调解", organisation="东一社区人民调解委员会")
    assert (mediator.team, mediator.profession, mediator.user) == (Team.PEOPLES, Profession.ELDER, people["sd_mediator"])
    assert set(mediator.communities.values_list("name", flat=True)) == {"东一社区", "东二社区"}
    assert set(mediator.specialties.values_list("category", flat=True)) == {Category.NEIGHBOUR, Category.FAMILY}
    # first time in: everything created, one account counted once for its two rows
    counts = {str(label): (created, updated, unchanged) for label, created, updated, unchanged in outcome.summary()}
    assert counts[str(User._meta.verbose_name)] == (8, 0, 0)
    assert totals(outcome)["updated"] == totals(outcome)["unchanged"] == 0


def test_a_workbook_with_one_bad_row_imports_nothing_and_names_its_sheet_and_row(tmp_path, world):
    book = sheets()
    book["人员"][3][2] = "网格长"  # not a role of the app: row 4 of the sheet
    before = snapshot()
    outcome = import_places(write(tmp_path / "bad.xlsx", book))
    assert [(e.sheet, e.row) for e in outcome.errors] == [("人员", 4)]
    assert "网格长" in outcome.errors[0].reason
    assert snapshot() == before
    assert not Street.objects.filter(name="试点东街道").exists()
    assert not User.objects.filter(username="sd_worker").exists()


def test_every_bad_row_is_listed_including_the_rows_that_refer_to_it(tmp_path, world):
    book = sheets()
    book["网格"][2][3] = "没有这个社区"   # SD-01-02, row 3; police grid SD-J01 (row 2) covers it,
    # and the officer of SD-J01 (人员, row 4) is placed on that police grid
    book["调解员"][1][4] = "12345"        # not a phone number
    book["部门"].append(["试点东住建办", zh(DepartmentKind.HOUSING), "", "", ""])  # the same department again
    outcome = import_places(write(tmp_path / "bad.xlsx", book))
    assert [(e.sheet, e.row) for e in outcome.errors] == [
        ("网格", 3), ("警务区", 2), ("人员", 4), ("部门", 3), ("调解员", 2)]
    assert all(e.reason for e in outcome.errors)
    assert not Street.objects.filter(name="试点东街道").exists()


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path, world):
    path = tmp_path / "notes.xlsx"
    path.write_text("不是表格")
    outcome = import_places(str(path))
    assert not outcome.ok and len(outcome.errors) == 1


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path, world):
    path = write(tmp_path / "two.xlsx", sheets())
    first = import_places(path)
    assert first.ok
    before = snapshot()
    again = import_places(path)
    assert again.ok
    assert snapshot() == before  # not a row, not a history row
    assert totals(again)["created"] == totals(again)["updated"] == 0
    assert totals(again)["unchanged"] == totals(first)["created"]


def test_an_overlapping_file_adds_only_the_new_rows_and_updates_the_changed_one(tmp_path, world):
    assert import_places(write(tmp_path / "east.xlsx", sheets(west=False))).ok
    before = snapshot()
    outcome = import_places(write(tmp_path / "both.xlsx", sheets(east_post="东一路警务站")))
    assert outcome.ok, [str(e) for e in outcome.errors]
    counts = {str(label): (created, updated, unchanged) for label, created, updated, unchanged in outcome.summary()}
    assert counts[str(Street._meta.verbose_name)] == (1, 0, 1)
    assert counts[str(CommunityGrid._meta.verbose_name)] == (1, 0, 3)
    assert counts[str(PoliceGrid._meta.verbose_name)] == (1, 1, 1)  # SD-J01's post was renamed
    assert counts[str(User._meta.verbose_name)] == (2, 0, 6)
    after = snapshot()
    assert after["Street"] == before["Street"] + 1
    assert after["CommunityGrid"] == before["CommunityGrid"] + 1
    assert after["User"] == before["User"] + 2
    assert after["Mediator"] == before["Mediator"] and after["Department"] == before["Department"]
    assert PoliceGrid.objects.get(code="SD-J01").post_name == "东一路警务站"
    assert PoliceGrid.objects.filter(code="SD-J01").count() == 1


def test_a_dry_run_writes_nothing_but_counts_what_it_would_do(tmp_path, world):
    before = snapshot()
    outcome = import_places(write(tmp_path / "two.xlsx", sheets()), dry_run=True)
    assert outcome.ok and totals(outcome)["created"] > 0
    assert snapshot() == before


# --- the command --------------------------------------------------------------------------------


def test_the_command_imports_and_a_bad_file_exits_non_zero_naming_the_row(tmp_path, world):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_places", write(tmp_path / "two.xlsx", sheets()), stdout=out, stderr=err)
    assert Street.objects.filter(name="试点西街道").exists()
    assert out.getvalue().strip()
    book = sheets()
    book["网格"].append(["SX-09-09", "", "试点西街道", "没有这个社区", "第9网格"])  # row 6
    with pytest.raises(CommandError) as refused:
        call_command("import_places", write(tmp_path / "bad.xlsx", book), stdout=out, stderr=err)
    assert refused.value.returncode != 0
    assert "网格" in err.getvalue() and "6" in err.getvalue()
    assert not CommunityGrid.objects.filter(code="SX-09-09").exists()


def test_the_command_dry_run_writes_nothing(tmp_path, world):
    call_command("import_places", write(tmp_path / "two.xlsx", sheets()), "--dry-run", stdout=io.StringIO())
    assert not Street.objects.filter(name="试点东街道").exists()


def test_the_command_writes_a_template_whose_headers_read_back_and_which_imports_nothing(tmp_path, world):
    path = tmp_path / "template.xlsx"
    call_command("import_places", "--template", str(path), stdout=io.StringIO())
    workbook = openpyxl.load_workbook(path, read_only=True)
    for sheet in SHEETS:
        headers = next(workbook[sheet.name].iter_rows(values_only=True))
        assert list(headers) == [column.header for column in sheet.columns]
    workbook.close()
    before = snapshot()
    outcome = import_places(str(path))
    assert outcome.ok and outcome.summary() == []
    assert snapshot() == before


# --- the admin page -----------------------------------------------------------------------------

IMPORT = "admin:grids_street_import"


def upload(client, book, name="places.xlsx"):
    return client.post(reverse(IMPORT), {"workbook": SimpleUploadedFile(name, as_bytes(book), content_type=XLSX)})


def test_an_administrator_previews_confirms_and_gets_first_sign_in_links(client, world):
    client.force_login(world.admin)
    listing = client.get(reverse("admin:grids_street_changelist"))
    assert reverse(IMPORT).encode() in listing.content
    page = client.get(reverse(IMPORT))
    assert page.status_code == 200 and b'id="upload-places"' in page.content
    template = client.get(reverse("admin:grids_street_import_template"))
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)), read_only=True).sheetnames[1:] == [
        sheet.name for sheet in SHEETS]

    preview = upload(client, sheets())
    assert preview.status_code == 200
    assert b'id="summary"' in preview.content and b'id="confirm-import"' in preview.content
    assert not Street.objects.filter(name="试点东街道").exists()  # nothing written before the confirmation

    done = client.post(reverse(IMPORT), {"token": preview.context["token"]})
    assert done.status_code == 200 and done.context["outcome"].written
    street = Street.objects.get(name="试点东街道")
    assert street.history.get().history_user == world.admin
    placed = PoliceGridUserObjectPermission.objects.get(user__username="sd_officer")
    assert placed.history.get().history_user == world.admin
    accounts = done.context["accounts"]
    assert sorted(a["user"].username for a in accounts) == sorted(
        ["sd_worker", "sd_officer", "sd_stationlead", "sd_streetlead", "sd_dept", "sd_mediator", "sx_worker",
         "sx_streetlead"])
    assert all(a["created"] for a in accounts)
    link = next(a["link"] for a in accounts if a["user"].username == "sd_worker")
    assert link.encode() in done.content

    # the confirmation is used up: posting it again imports nothing more
    again = client.post(reverse(IMPORT), {"token": preview.context["token"]})
    assert again.status_code == 302

    # the worker's first sign-in: the link lets her choose a password, once
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.context["form"].fields
    chosen = client.post(form_page.redirect_chain[-1][0],
                         {"new_password1": "Dongyi-2026-grid", "new_password2": "Dongyi-2026-grid"})
    assert chosen.status_code == 302
    assert User.objects.get(username="sd_worker").has_usable_password()
    signed_in = client.post(reverse("login"), {"username": "sd_worker", "password": "Dongyi-2026-grid"})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    used = client.get(link, follow=True)
    assert b'id="invalid-link"' in used.content


def test_the_preview_of_a_bad_workbook_lists_the_rows_and_offers_no_confirmation(client, world):
    client.force_login(world.admin)
    book = sheets()
    book["警务区"][3][0] = "没有这个派出所"  # row 4
    preview = upload(client, book)
    assert preview.status_code == 200
    assert b'id="bad-rows"' in preview.content and b'id="confirm-import"' not in preview.content
    assert [(e.sheet, e.row) for e in preview.context["outcome"].errors] == [("警务区", 4)]
    assert not Street.objects.filter(name="试点东街道").exists()


def test_a_confirmation_without_the_upload_in_the_session_imports_nothing(client, world):
    client.force_login(world.admin)
    response = client.post(reverse(IMPORT), {"token": "made-up"})
    assert response.status_code == 302
    assert not Street.objects.filter(name="试点东街道").exists()


def test_someone_who_is_not_staff_is_sent_to_the_admin_sign_in(client, world):
    client.force_login(world.worker1)
    for response in (client.get(reverse(IMPORT)), upload(client, sheets()),
                     client.get(reverse("admin:grids_street_import_template"))):
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not Street.objects.filter(name="试点东街道").exists()


def test_staff_who_are_not_administrators_are_refused(client, world):
    staffer = person("staff_worker", Role.WORKER, world.grid1)
    staffer.is_staff = True
    staffer.save(update_fields=["is_staff"])
    client.force_login(staffer)
    assert client.get(reverse(IMPORT)).status_code == 403
    assert upload(client, sheets()).status_code == 403
    assert client.get(reverse("admin:grids_street_import_template")).status_code == 403
    assert reverse(IMPORT).encode() not in client.get(reverse("admin:grids_street_changelist")).content
    assert not Street.objects.filter(name="试点东街道").exists()


def test_a_member_of_the_administrator_group_may_import(client, world):
    appointed = person("appointed_admin", Role.ADMIN)
    appointed.is_staff = True
    appointed.save(update_fields=["is_staff"])
    assert Group.objects.get(name=Role.ADMIN) in appointed.groups.all()
    client.force_login(appointed)
    assert client.get(reverse(IMPORT)).status_code == 200
