"""Importing the 110 dispatch export: all or nothing, never twice, only one's own police grids;
the command, the page (upload -> check -> preview -> confirm -> done) and constant memory."""

import csv
import io
import tracemalloc
from datetime import timedelta

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from grids.models import PoliceGrid
from incidents import batches, importing
from incidents.management.commands.import_incidents import Command as ImportCommand
from incidents.models import ImportBatch, ImportStatus, Incident
from incidents.permissions import visible_police_grids
from tests.helpers import run_in_parallel

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in importing.COLUMNS]
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def when(days_ago=10, minutes=0):
    return (timezone.localtime() - timedelta(days=days_ago, minutes=minutes)).strftime("%Y-%m-%d %H:%M")


def row(number, grid="QF-J01", **values):
    """One row as {header: value}: a valid incident unless `values` says otherwise."""
    data = {"警情编号": number, "报警时间": when(), "报警人": "王建国", "联系电话": "13812345678",
            "事发地址": "栖凤路88号3幢2单元501室", "警情类别": "纠纷", "简要警情": "楼上漏水，双方争执",
            "责任区": grid, "处理结果": "民警到场调解"}
    data.update(values)
    return data


def write_xlsx(path, rows, headers=HEADERS, inline_strings=False):
    # Excel and WPS write shared strings (a table the reader holds whole); inline strings are
    # streamed with their rows.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": inline_strings})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for index, data in enumerate(rows, start=1):
        sheet.write_row(index, 0, [data.get(h, "") for h in headers])
    workbook.close()
    return path


def write_csv(path, rows, headers=HEADERS, encoding="utf-8-sig"):
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([data.get(h, "") for h in headers] for data in rows)
    return path


def import_as(user, path, **kwargs):
    return importing.import_file(path, police_grids=visible_police_grids(user), **kwargs)


def numbers():
    return set(Incident.objects.values_list("number", flat=True))


# --- the file ----------------------------------------------------------------------------------

SHUFFLED = ["坐席号", "责任区", "事发地址", "警情编号", "备注", "报警时间", "简要警情", "联系电话", "报警人",
            "警情类别", "处理结果"]


@pytest.mark.parametrize("write", [write_xlsx, write_csv], ids=["xlsx", "csv"])
def test_a_good_file_imports_with_columns_in_any_order_and_extra_columns_ignored(world, tmp_path, write):
    stamp = when()  # once: a second call may fall in the next minute
    path = write(tmp_path / f"export.{write.__name__[-4:].lstrip('_')}",
                 [row("J001", 报警时间=stamp, 坐席号="007", 备注="x"), row("J002", 联系电话="", 报警人="")],
                 headers=SHUFFLED)
    report = import_as(world.officer1, path)
    assert (report.ok, report.new, report.known) == (True, 2, 0)
    first = Incident.objects.get(number="J001")
    assert first.police_grid.code == "QF-J01" and first.caller_phone == "13812345678"
    assert first.address_key == "栖凤路88号3栋2单元"
    assert timezone.localtime(first.reported_at).strftime("%Y-%m-%d %H:%M") == stamp
    assert Incident.objects.get(number="J002").caller_phone == ""


def test_a_gb18030_csv_with_slashed_times_imports_in_local_time(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001", 报警时间="2026/11/3 14:22")], encoding="gb18030")
    assert import_as(world.officer1, path).new == 1
    reported = timezone.localtime(Incident.objects.get(number="J001").reported_at)
    assert (reported.year, reported.month, reported.day, reported.hour, reported.minute) == (2026, 11, 3, 14, 22)
    assert reported.utcoffset() == timedelta(hours=8)


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_line(world, tmp_path):
    rows = [row(f"J{i:03d}") for i in range(1, 6)]
    rows[2]["联系电话"] = "12345"
    path = write_xlsx(tmp_path / "export.xlsx", rows)
    report = import_as(world.officer1, path)
    assert not report.ok and report.bad_rows == 1 and numbers() == set()
    [error] = report.errors
    assert (error["line"], error["number"], [code for code, _ in error["reasons"]]) == (4, "J003", ["phone"])


@pytest.mark.parametrize(("values", "code"), [
    ({"警情编号": ""}, "missing"),
    ({"事发地址": ""}, "missing"),
    ({"报警时间": "昨天下午"}, "bad_time"),
    ({"报警时间": "1999-12-31 23:00"}, "too_early"),
    ({"报警时间": "2099-01-01 08:00"}, "future"),
    ({"警情类别": "纠" * 51}, "too_long"),
    ({"责任区": "NO-SUCH"}, "grid"),
])
def test_each_kind_of_bad_value_is_a_bad_row(world, tmp_path, values, code):
    path = write_csv(tmp_path / "export.csv", [row("J001"), row("J002", **values)])
    report = import_as(world.officer1, path)
    assert report.bad_rows == 1 and report.errors[0]["line"] == 3 and numbers() == set()
    assert [c for c, _ in report.errors[0]["reasons"]] == [code]
    assert importing.describe(report.errors[0]["reasons"])  # worded for the page and the command


def test_the_same_incident_number_twice_in_one_file_is_a_bad_row(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001"), row("J002"), row("J001")])
    report = import_as(world.officer1, path)
    assert [(e["line"], e["number"]) for e in report.errors] == [(4, "J001")] and numbers() == set()


def test_a_missing_required_header_is_one_error(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001")], headers=[h for h in HEADERS if h != "责任区"])
    report = import_as(world.officer1, path)
    assert [e["reasons"] for e in report.errors] == [[["headers", {"columns": "责任区"}]]]
    assert report.errors[0]["line"] == 1 and numbers() == set()


def test_a_second_import_of_the_same_file_changes_nothing(world, tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", [row("J001"), row("J002")])
    assert import_as(world.officer1, path).new == 2
    before = list(Incident.objects.order_by("number").values())
    again = import_as(world.officer1, path)
    assert (again.ok, again.new, again.known) == (True, 0, 2)
    assert list(Incident.objects.order_by("number").values()) == before


def test_an_overlapping_file_adds_only_the_new_rows_and_never_updates(world, tmp_path):
    import_as(world.officer1, write_csv(tmp_path / "first.csv", [row("J001"), row("J002")]))
    overlapping = [row("J002", 事发地址="别处"), row("J003")]
    report = import_as(world.officer1, write_csv(tmp_path / "second.csv", overlapping))
    assert (report.new, report.known) == (1, 1)
    assert numbers() == {"J001", "J002", "J003"}
    assert Incident.objects.get(number="J002").address == "栖凤路88号3幢2单元501室"


def test_a_police_grid_outside_the_importers_scope_reads_like_one_that_does_not_exist(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001"), row("J002", grid="FH-J01"), row("J003", grid="XX-J99")])
    report = import_as(world.officer1, path)
    assert numbers() == set() and [e["line"] for e in report.errors] == [3, 4]
    outside, missing = (importing.describe(e["reasons"]) for e in report.errors)
    assert outside.replace("FH-J01", "CODE") == missing.replace("XX-J99", "CODE")
    assert "凤凰" not in outside  # nothing about the grid but the code the file itself gave
    # a leader of both streets' grids (the administrator) imports the same row
    assert import_as(world.admin, write_csv(tmp_path / "ok.csv", [row("J002", grid="FH-J01")])).new == 1


def test_progress_is_reported_for_the_check_and_for_the_import(world, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 2)
    calls = []
    path = write_csv(tmp_path / "export.csv", [row(f"J{i}") for i in range(5)])
    import_as(world.officer1, path, progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert calls[-1] == ("import", 5, 5) and ("check", 5, 5) in calls
    assert [done for phase, done, _ in calls if phase == "import"] == [2, 4, 5]


# --- the command -------------------------------------------------------------------------------

def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_incidents", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_counts_new_and_known(world, tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", [row("J001"), row("J002", grid="FH-J01")])
    out, err = run(str(path))
    assert numbers() == {"J001", "J002"} and "2" in out
    out, _ = run(str(path))
    assert numbers() == {"J001", "J002"}


def test_the_command_lists_every_bad_row_and_exits_non_zero(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001", 联系电话="1"), row("J002"), row("J003", 责任区="")])
    with pytest.raises(CommandError):
        run(str(path))
    assert numbers() == set()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:  # as from the shell (it closes the connection: last)
        ImportCommand(stdout=out, stderr=err).run_from_argv(["manage.py", "import_incidents", str(path)])
    assert exited.value.code == 1
    lines = [line for line in err.getvalue().splitlines() if "J00" in line]
    assert len(lines) == 2 and "2" in lines[0] and "J001" in lines[0] and "4" in lines[1] and "J003" in lines[1]


def test_the_command_dry_run_checks_without_writing(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", [row("J001"), row("J002")])
    out, _ = run(str(path), "--dry-run")
    assert numbers() == set() and "2" in out


def test_the_command_writes_the_template_that_names_every_column(world, tmp_path):
    target = tmp_path / "template.xlsx"
    run("--template", str(target))
    sheet = openpyxl.load_workbook(target, read_only=True).worksheets[0]
    assert list(next(sheet.iter_rows(values_only=True))) == HEADERS
    with pytest.raises(CommandError):  # a template with no rows has nothing to import
        run(str(target))


# --- the page ----------------------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    return settings.MEDIA_ROOT


def upload(client, path, name=None):
    with open(path, "rb") as handle:
        data = SimpleUploadedFile(name or path.name, handle.read())
    return client.post(reverse("incidents:import"), {"file": data})


def test_an_officer_uploads_previews_confirms_and_sees_it_done(client, world, tmp_path, media,
                                                                django_capture_on_commit_callbacks):
    import_as(world.officer1, write_csv(tmp_path / "old.csv", [row("J001")]))
    path = write_xlsx(tmp_path / "110导出.xlsx", [row("J001"), row("J002", 联系电话="13987654321"), row("J003")])
    client.force_login(world.officer1)
    assert client.get(reverse("incidents:import")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, path)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (batch.status, batch.total_rows, batch.new_rows, batch.known_rows) == (ImportStatus.CHECKED, 3, 2, 1)
    assert batch.original_name == "110导出.xlsx" and batch.file.path.startswith(str(media))
    assert numbers() == {"J001"}  # nothing imported before the confirmation
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="import-preview"' in page and "J002" in page and "139****4321" in page
    assert "13987654321" not in page and 'id="import-confirm"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incidents:import_confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.new_rows, batch.known_rows, batch.processed_rows) == (ImportStatus.DONE, 2, 1, 3)
    assert numbers() == {"J001", "J002", "J003"}
    assert set(batch.incidents.values_list("number", flat=True)) == {"J002", "J003"}
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="import-done"' in page and reverse("incidents:list") in page
    # confirming again imports nothing more
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("incidents:import_confirm", args=[batch.pk]))
    assert Incident.objects.count() == 3 and ImportBatch.objects.get().status == ImportStatus.DONE


def test_a_bad_file_on_the_page_lists_its_bad_rows_and_cannot_be_confirmed(client, world, tmp_path, media,
                                                                            django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "export.csv", [row("J001"), row("J002", grid="FH-J01")])
    client.force_login(world.officer1)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, path)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.bad_rows, batch.preview) == (ImportStatus.REJECTED, 1, [])
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="import-errors"' in page and "J002" in page and "凤凰" not in page
    assert 'id="import-confirm"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("incidents:import_confirm", args=[batch.pk]))
    assert numbers() == set() and ImportBatch.objects.get().status == ImportStatus.REJECTED


def test_the_page_shows_an_accessible_progress_bar_while_the_worker_runs(client, world, media):
    batch = ImportBatch.objects.create(file="imports/x.csv", original_name="x.csv", uploaded_by=world.officer1,
                                       status=ImportStatus.CHECKING, total_rows=200, processed_rows=50)
    client.force_login(world.officer1)
    for url in (batch.get_absolute_url(), reverse("incidents:import_progress", args=[batch.pk])):
        page = client.get(url).content.decode()
        assert 'role="progressbar"' in page and 'aria-valuenow="25"' in page
        assert f'hx-get="{reverse("incidents:import_progress", args=[batch.pk])}"' in page
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.FAILED)
    page = client.get(reverse("incidents:import_progress", args=[batch.pk])).content.decode()
    assert "hx-trigger" not in page and "data-focus-here" in page  # polling stops, focus on the outcome


def test_the_progress_poll_stops_once_signed_out(client, world):
    batch = ImportBatch.objects.create(file="imports/x.csv", original_name="x.csv", uploaded_by=world.officer1)
    assert client.get(reverse("incidents:import_progress", args=[batch.pk])).status_code == 286


def test_the_page_refuses_a_file_that_is_not_a_workbook_or_csv(client, world, media):
    client.force_login(world.officer1)
    for name, content in (("export.txt", b"a,b"), ("export.xlsx", b"not a zip"), ("export.csv", b"\x00\x01")):
        response = client.post(reverse("incidents:import"), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_template_download_is_a_workbook_with_the_headers(client, world):
    client.force_login(world.stationlead)
    response = client.get(reverse("incidents:import_template"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS


def test_a_community_worker_may_not_import(client, world):
    client.force_login(world.worker1)
    batch = ImportBatch.objects.create(file="imports/x.csv", original_name="x.csv", uploaded_by=world.officer1)
    for url in (reverse("incidents:import"), reverse("incidents:import_template"), batch.get_absolute_url(),
                reverse("incidents:import_progress", args=[batch.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("incidents:import_confirm", args=[batch.pk])).status_code == 403


def test_another_officer_cannot_open_officer1s_import_but_the_administrator_can(client, world, tmp_path, media,
                                                                              django_capture_on_commit_callbacks):
    client.force_login(world.officer1)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, write_csv(tmp_path / "export.csv", [row("J001")]))
    batch = ImportBatch.objects.get()
    urls = [batch.get_absolute_url(), reverse("incidents:import_progress", args=[batch.pk])]
    client.force_login(world.officer2)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(reverse("incidents:import_confirm", args=[batch.pk])).status_code == 404
    assert ImportBatch.objects.get().status == ImportStatus.CHECKED
    client.force_login(world.admin)
    assert all(client.get(url).status_code == 200 for url in urls)


def test_the_preview_is_hidden_from_an_uploader_who_no_longer_sees_its_police_grids(client, world, tmp_path, media,
                                                                                  django_capture_on_commit_callbacks):
    client.force_login(world.officer1)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, write_csv(tmp_path / "export.csv", [row("J001")]))
    batch = ImportBatch.objects.get()
    other = PoliceGrid.objects.get(code="FH-J01").pk
    ImportBatch.objects.filter(pk=batch.pk).update(police_grid_ids=[other])  # as if the scope had shrunk
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "J001" not in page and 'id="import-confirm"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("incidents:import_confirm", args=[batch.pk]))
    assert numbers() == set()


def stored_batch(media, user, rows):
    """A batch whose file is already in MEDIA, as the upload leaves it."""
    (media / "imports").mkdir(parents=True, exist_ok=True)
    write_csv(media / "imports" / "export.csv", rows)
    return ImportBatch.objects.create(file="imports/export.csv", original_name="export.csv", uploaded_by=user)


def test_the_jobs_are_safe_to_run_twice(world, media):
    batch = stored_batch(media, world.officer1, [row("J001"), row("J002")])
    assert importing.check_batch(batch.pk) == ImportStatus.CHECKED
    assert importing.check_batch(batch.pk) == ImportStatus.CHECKED
    assert batches.confirm_batch(batch=batch, actor=world.officer1)
    assert not batches.confirm_batch(batch=batch, actor=world.officer1)
    assert importing.import_batch(batch.pk) == ImportStatus.DONE
    assert importing.import_batch(batch.pk) == ImportStatus.DONE
    batch.refresh_from_db()
    assert (batch.new_rows, batch.known_rows, Incident.objects.count()) == (2, 0, 2)


def test_an_import_rechecks_the_uploaders_scope_when_it_runs(world, media):
    batch = stored_batch(media, world.officer1, [row("J001"), row("J002")])
    importing.check_batch(batch.pk)
    batches.confirm_batch(batch=batch, actor=world.officer1)
    PoliceGrid.objects.filter(code="QF-J01").update(code="QF-J01-OLD")  # the grid was recoded meanwhile
    assert importing.import_batch(batch.pk) == ImportStatus.REJECTED
    batch.refresh_from_db()
    assert batch.bad_rows == 2 and numbers() == set()


# --- constant memory ---------------------------------------------------------------------------

def _peak_memory(job):
    tracemalloc.start()
    try:
        return job(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _many(write, path, count, prefix):
    grids = ["QF-J01", "QF-J02", "FH-J01"]
    return write(path, (row(f"{prefix}{i:06d}", grid=grids[i % 3], 报警时间=when(days_ago=1, minutes=i))
                        for i in range(count)))


def test_20000_rows_import_without_memory_growing_with_the_rows(world, tmp_path):
    small_file = _many(write_csv, tmp_path / "small.csv", 2_000, "S")
    report, small = _peak_memory(lambda: import_as(world.admin, small_file))
    assert report.new == 2_000
    large_file = _many(write_csv, tmp_path / "large.csv", 20_000, "L")
    report, large = _peak_memory(lambda: import_as(world.admin, large_file))
    assert report.new == 20_000 and Incident.objects.count() == 22_000
    # ten times the rows, not ten times the memory: a chunk of rows at a time, plus the numbers
    # seen (for duplicates), some hundred bytes a row
    assert large < small * 1.5, (small, large)


def test_a_large_workbook_is_read_without_memory_growing_with_the_rows(world, tmp_path):
    # Inline strings: a workbook of shared strings also holds its table of distinct texts (in
    # openpyxl, whatever the reader), a few hundred bytes per row; bench/ measures that case.
    def inline(path, rows):
        return write_xlsx(path, rows, inline_strings=True)

    small_file = _many(inline, tmp_path / "small.xlsx", 1_000, "S")
    large_file = _many(inline, tmp_path / "large.xlsx", 10_000, "L")
    police_grids = visible_police_grids(world.admin)
    report, small = _peak_memory(lambda: importing.check_file(small_file, police_grids=police_grids))
    assert report.ok and report.total == 1_000
    report, large = _peak_memory(lambda: importing.check_file(large_file, police_grids=police_grids))
    assert report.ok and report.total == 10_000
    # what grows is the set of incident numbers seen (for duplicates), some 200 bytes a number;
    # holding the rows themselves would take several kilobytes each
    assert large - small < 9_000 * 300, (small, large)


# --- real concurrency (PostgreSQL: row locks, a second connection) -----------------------------

def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel connections need PostgreSQL (SQLite serialises writers)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_import_once(transactional_world, settings, tmp_path):
    _needs_postgresql()
    settings.MEDIA_ROOT = tmp_path
    w = transactional_world
    batch = stored_batch(tmp_path, w.officer1, [row("J001"), row("J002")])
    importing.check_batch(batch.pk)
    confirmed = run_in_parallel(*[lambda: batches.confirm_batch(batch=batch, actor=w.officer1)] * 2)
    assert sorted(confirmed) == [False, True], confirmed
    results = run_in_parallel(*[lambda: importing.import_batch(batch.pk)] * 2)
    assert results == [ImportStatus.DONE, ImportStatus.DONE], results
    batch.refresh_from_db()
    assert (batch.status, batch.new_rows, batch.known_rows) == (ImportStatus.DONE, 2, 0)
    assert Incident.objects.filter(batch=batch).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_import_progress_is_visible_to_others_while_its_transaction_runs(transactional_world, settings,
                                                                            tmp_path, monkeypatch):
    _needs_postgresql()
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(importing, "CHUNK", 2)
    w = transactional_world
    batch = stored_batch(tmp_path, w.officer1, [row(f"J{i}") for i in range(6)])
    importing.check_batch(batch.pk)
    batches.confirm_batch(batch=batch, actor=w.officer1)
    seen, write = [], importing._ProgressWriter.__call__

    def and_look_from_elsewhere(self, phase, done, total):
        write(self, phase, done, total)
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT processed_rows, (SELECT count(*) FROM incidents_incident) "
                               "FROM incidents_importbatch WHERE id = %s", [batch.pk])
                seen.append(cursor.fetchone())
        finally:
            other.close()

    monkeypatch.setattr(importing._ProgressWriter, "__call__", and_look_from_elsewhere)
    assert importing.import_batch(batch.pk) == ImportStatus.DONE
    # rows done as the page sees them, while the rows themselves are not yet committed
    assert seen == [(2, 0), (4, 0), (6, 0), (6, 6)], seen
