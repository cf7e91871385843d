import io
import tempfile
import tracemalloc
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.export import columns, write_ledger
from cases.models import Case, Party
from cases.selectors import ledger
from tests.factories import bulk_cases, case_in_state, make_case

pytestmark = pytest.mark.django_db
URL = reverse("cases:ledger")


@pytest.fixture
def cases(world):
    c = {
        "escalated": case_in_state("escalated", grid=world.grid1, actor=world.stationlead),
        "referred": case_in_state("referred", grid=world.grid2, actor=world.stationlead),
        "major": make_case(grid=world.grid1, actor=world.officer1, risk="major"),
        "overdue": case_in_state("triaged", grid=world.grid2, actor=world.stationlead),
        "ordinary": case_in_state("triaged", grid=world.grid1, actor=world.stationlead),
        "major_but_resolved": case_in_state("resolved", grid=world.grid1, actor=world.stationlead),
        "other_street": case_in_state("escalated", grid=world.grid_fh, actor=world.admin),
    }
    Case.objects.filter(pk=c["overdue"].pk).update(due_at=timezone.now() - timedelta(hours=1))
    Case.objects.filter(pk=c["major_but_resolved"].pk).update(risk="major")
    return c


def test_the_ledger_holds_exactly_the_difficult_cases_of_the_leaders_scope(client, world, cases):
    expected = {cases[k].pk for k in ("escalated", "referred", "major", "overdue")}
    assert set(ledger(world.streetlead).values_list("pk", flat=True)) == expected
    client.force_login(world.stationlead)
    rows = client.get(URL).context["rows"]
    assert {case.pk for case, _why in rows} == expected
    assert dict((case.pk, why) for case, why in rows)[cases["major"].pk] == "重大风险"
    client.force_login(world.streetlead_fh)
    assert {case.pk for case, _why in client.get(URL).context["rows"]} == {cases["other_street"].pk}


@pytest.mark.parametrize("username", ["worker1", "officer1", "auxiliary1", "mediator1"])
def test_only_leaders_open_the_ledger(client, world, username):
    client.force_login(getattr(world, username))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("cases:ledger_export")).status_code == 403


@pytest.mark.parametrize("query,keys", [
    ("reason=escalated", {"escalated", "referred"}),
    ("reason=major", {"major"}),
    ("reason=overdue", {"overdue"}),
])
def test_ledger_filters(client, world, cases, query, keys):
    client.force_login(world.streetlead)
    rows = client.get(f"{URL}?{query}").context["rows"]
    assert {case.pk for case, _why in rows} == {cases[k].pk for k in keys}


def test_ledger_query_count_is_constant(client, world):
    client.force_login(world.streetlead)
    bulk_cases(grid=world.grid1, creator=world.officer1, count=3, state="escalated")
    from tests.helpers import count_queries
    few, _ = count_queries(client, URL)
    bulk_cases(grid=world.grid1, creator=world.officer1, count=200, start=100, state="escalated")
    many, sql = count_queries(client, URL)
    assert few == many, "\n".join(sql)


def read_sheet(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.postgres
def test_the_open_cases_index_holds_every_column_the_ledgers_rule_reads(world, cases):
    """The ledger's rule reads each open case's state, risk and due date: the index of the open
    cases by grid and due date carries them (migration 0031), so a street's ledger is counted and
    its page's ids found in the index alone (EXPLAIN at 1 M cases: an index-only scan, 152 pages)
    instead of reading each of the street's open cases from the table (a page each, of a table
    that at 10 M cases no cache holds). A new condition on another column would send the ledger
    back to the table: this fails then."""
    from django.db import connection
    from django.db.models.expressions import Col

    if connection.vendor != "postgresql":
        pytest.skip("an index's covering columns (INCLUDE) are PostgreSQL's")

    def columns(node):  # a WHERE's AND/OR nodes hold lookups; a lookup flattens to its columns
        if hasattr(node, "children"):
            return set().union(*(columns(child) for child in node.children))
        return {part.target.column for part in node.flatten() if isinstance(part, Col)}

    read = columns(ledger(world.streetlead).query.where)
    with connection.cursor() as cursor:
        cursor.execute("""SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                          WHERE c.relname = 'case_open_grid_due'""")
        indexed = {name for (name,) in cursor.fetchall()}
    assert read == {"grid_id", "state", "risk", "due_at"}
    assert read | {"id"} <= indexed


def test_the_export_has_the_rows_and_columns_masks_and_neutralises(client, world, cases):
    Party.objects.create(case=cases["major"], name="赵某", role="other", phone="13912345678")
    Case.objects.filter(pk=cases["major"].pk).update(description='=HYPERLINK("http://x")')
    Case.objects.filter(pk=cases["escalated"].pk).update(title="+cmd|' /C calc'!A0", address="@SUM(1)")
    client.force_login(world.streetlead)
    response = client.get(reverse("cases:ledger_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = read_sheet(b"".join(response.streaming_content))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["案件编号", "标题", "纠纷类型", "网格", "状态", "风险等级"]
    assert sorted(r[0] for r in body) == sorted(cases[k].number for k in ("escalated", "referred", "major", "overdue"))
    text = "\n".join(str(cell) for row in body for cell in row if cell)
    assert "'+cmd|' /C calc'!A0" in text and "'@SUM(1)" in text and "'=HYPERLINK" in text
    assert "13912345678" not in text and "139****5678" in text
    assert "13812345678" not in text and "11010519491231002X" not in text
    assert not [cell for row in body for cell in row if isinstance(cell, str) and cell and cell[0] in "=+-@"]


def test_the_export_follows_the_filters_on_screen(client, world, cases):
    client.force_login(world.streetlead)
    rows = read_sheet(b"".join(client.get(reverse("cases:ledger_export") + "?reason=major").streaming_content))
    assert [r[0] for r in rows[1:]] == [cases["major"].number]


def test_the_export_carries_times_as_excel_dates_in_local_time(client, world, cases):
    case = cases["overdue"]
    case.refresh_from_db()
    client.force_login(world.streetlead)
    content = b"".join(client.get(reverse("cases:ledger_export") + "?reason=overdue").streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active  # not read-only: formats too
    with translation.override("zh-hans"):
        titles = [str(title) for title, _width, _getter in columns()]
        reported, due = titles.index(gettext("when it was reported")), titles.index(gettext("due"))
    assert [cell.value for cell in sheet[1]] == titles
    row = sheet[2]
    assert row[0].value == case.number and row[1].data_type == "s"  # text stays text
    for cell, when in ((row[reported], case.reported_at), (row[due], case.due_at)):
        assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm"
        # the wall-clock time in Shanghai (an Excel date has no zone), to the second
        local = when.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        assert abs(cell.value - local) < timedelta(seconds=1), (cell.value, local)


def _export_with_peak_memory(queryset):
    """Export to a temporary file, as the view does; return (rows, peak traced memory)."""
    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        try:
            rows = write_ledger(queryset, out)
            return rows, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_20000_rows_export_without_memory_growing_with_the_rows(world):
    bulk_cases(grid=world.grid1, creator=world.officer1, count=2_000, state="escalated")
    cases = Case.objects.filter(number__startswith="BULK-")
    rows, small = _export_with_peak_memory(cases)
    assert rows == 2_000
    bulk_cases(grid=world.grid1, creator=world.officer1, count=18_000, start=2_000, state="escalated")
    rows, large = _export_with_peak_memory(cases)
    assert rows == 20_000
    # ten times the rows, not ten times the memory: one chunk of cases and xlsxwriter's row buffer
    assert large < small * 1.3, (small, large)
