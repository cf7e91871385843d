"""The statistics pages (stats/views.py): who may open them, the figures and chart segments
linking to lists of exactly their cases, the period picker's errors, the monthly report as a
page and as an Excel file, the query count, and Chinese throughout."""

import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.choices import Category
from cases.models import Case, ExportRecord
from grids.roles import Role
from stats import figures
from stats.refresh import refresh
from tests.factories import bulk_cases, case_in_state, make_case, person
from tests.test_chinese_everywhere import english_words, usernames

pytestmark = pytest.mark.django_db

INDEX, CASES, REPORT, XLSX = (reverse(f"stats:{name}") for name in ("index", "cases", "report", "report_xlsx"))


@pytest.fixture
def cases(world):
    """Cases of this month on Qifeng's two grids and on the other street, in several states and
    categories, with the statistics refreshed."""
    made = [
        make_case(grid=world.grid1, actor=world.worker1, category="neighbour"),
        make_case(grid=world.grid1, actor=world.worker1, category="family"),
        case_in_state("resolved", grid=world.grid1, actor=world.officer1),
        case_in_state("triaged", grid=world.grid2, actor=world.officer2),
        case_in_state("escalated", grid=world.grid2, actor=world.officer2),
        make_case(grid=world.grid_fh, actor=world.worker_fh, category="family"),
    ]
    refresh()
    return made


def month_query(**extra) -> str:
    today = timezone.localdate()
    return "&".join([f"period=month&month={today:%Y-%m}", *(f"{k}={v}" for k, v in extra.items())])


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [INDEX, CASES + "?figure=reported", REPORT, XLSX])
def test_it_sends_anonymous_users_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", [INDEX, CASES + "?figure=reported", REPORT, XLSX])
def test_it_refuses_someone_with_no_place(client, world, url):
    client.force_login(person("placed_nowhere", Role.WORKER))
    assert client.get(url).status_code == 403
    client.force_login(world.mediator1)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [INDEX, CASES + "?figure=reported&", REPORT, XLSX])
def test_it_does_not_reveal_a_unit_outside_the_users_places(client, world, url):
    separator = "&" if "?" in url else "?"
    client.force_login(world.worker1)
    assert client.get(f"{url}{separator}unit=street:{world.fenghuang.pk}").status_code == 404
    assert client.get(f"{url}{separator}unit=grid:{world.grid2.pk}").status_code == 404
    client.force_login(world.streetlead)
    assert client.get(f"{url}{separator}unit=street:{world.fenghuang.pk}").status_code == 404
    assert client.get(f"{url}{separator}unit=street:999999").status_code == 404
    assert client.get(f"{url}{separator}unit=nonsense").status_code == 404


def test_it_takes_no_post(client, world):
    client.force_login(world.streetlead)
    assert client.post(INDEX).status_code == 405


def test_the_top_bar_shows_the_statistics_to_whoever_has_a_unit(client, world):
    client.force_login(world.worker1)
    assert f'href="{INDEX}"' in client.get(reverse("password_change")).content.decode()
    client.force_login(world.mediator1)
    assert f'href="{INDEX}"' not in client.get(reverse("password_change")).content.decode()


# --- the figures and their lists -------------------------------------------------------------


def listed(client, url) -> list[Case]:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["page"].paginator.object_list)


@pytest.mark.parametrize("username", ["streetlead", "worker1", "admin", "stationlead"])
def test_every_count_links_to_a_list_of_as_many_cases(client, world, cases, username):
    client.force_login(getattr(world, username))
    response = client.get(INDEX)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.figures["reported"].value > 0
    for figure in report.figures.values():
        if figure.kind == "count" and figure.key != "referrals":  # referrals count referrals, not cases
            assert len(listed(client, figure.url)) == figure.value, figure.key
        else:  # a rate or an average links to the cases it is computed over
            assert client.get(figure.url).status_code == 200
    html = response.content.decode()
    assert all(f'href="{figure.url}"'.replace("&", "&amp;") in html for figure in report.figures.values())


def test_a_category_bar_lists_exactly_that_categorys_cases(client, world, cases):
    client.force_login(world.streetlead)
    report = client.get(INDEX).context["report"]
    family = next(bar for bar in report.breakdowns["category"] if bar.key == "family")
    assert family.value == 1  # Qifeng's; the other street's family dispute is not counted
    found = listed(client, family.url)
    assert [case.pk for case in found] == [cases[1].pk]
    assert all(case.category == "family" for case in found)
    neighbour = next(bar for bar in report.breakdowns["category"] if bar.key == "neighbour")
    assert {case.category for case in listed(client, neighbour.url)} == {"neighbour"}


def test_the_not_yet_triaged_bar_lists_the_untriaged_cases(client, world, cases):
    client.force_login(world.streetlead)
    report = client.get(INDEX).context["report"]
    untriaged = next(bar for bar in report.breakdowns["tier"] if bar.key == "")
    found = listed(client, untriaged.url)
    assert len(found) == untriaged.value == 2
    assert {case.pk for case in found} == {cases[0].pk, cases[1].pk}


def test_a_month_point_lists_the_cases_of_that_month(client, world, cases):
    client.force_login(world.streetlead)
    report = client.get(INDEX).context["report"]
    this_month = report.months[-1]
    assert len(listed(client, this_month.reported_url)) == this_month.reported == 5
    assert len(listed(client, this_month.resolved_url)) == this_month.resolved == 1


def test_the_list_says_which_figure_unit_and_period_it_is(client, world, cases):
    client.force_login(world.streetlead)
    response = client.get(f"{CASES}?unit=street:{world.qifeng.pk}&{month_query(figure='reported', category='family')}")
    html = response.content.decode()
    assert response.context["unit"].name in html and response.context["period"].label in html
    assert str(figures.FIGURE_LABELS["reported"]) in html
    assert f'href="{INDEX}?unit=street' in html  # the way back


@pytest.mark.parametrize("query", ["figure=nothing", "", "figure=reported&category=nothing",
                                   "figure=reported&month=2026-13&period=year", "figure=reported&level=x",
                                   "figure=reported&by=sideways", "figure=reported&mediator=abc"])
def test_a_list_that_cannot_exist_is_not_found(client, world, query):
    client.force_login(world.streetlead)
    assert client.get(f"{CASES}?{query}").status_code == 404


def test_a_ranking_row_opens_the_statistics_of_that_unit(client, world, cases):
    client.force_login(world.streetlead)
    report = client.get(INDEX).context["report"]
    assert report.rankings
    for row in report.rankings:
        response = client.get(row.url)
        assert response.status_code == 200
        assert response.context["unit"] == row.unit
        assert response.context["report"].figures["reported"].value == row.reported


def test_it_says_when_the_statistics_were_made(client, world):
    client.force_login(world.streetlead)
    assert client.get(INDEX).context["report"].refreshed_at is None  # nothing computed yet: said so
    refresh()
    response = client.get(INDEX)
    assert response.context["report"].refreshed_at is not None
    assert timezone.localtime(response.context["report"].refreshed_at).strftime("%Y-%m-%d %H:%M") in \
        response.content.decode()


# --- the period picker -----------------------------------------------------------------------


def test_the_period_picker_keeps_what_was_typed_and_says_what_is_wrong(client, world):
    client.force_login(world.streetlead)
    response = client.get(f"{INDEX}?period=custom&start=2026-02-30&end=hello")
    html = response.content.decode()
    assert response.status_code == 200
    assert set(response.context["errors"]) == {"start", "end"}
    assert 'value="2026-02-30"' in html and 'value="hello"' in html
    for name in ("start", "end"):
        field = re.search(rf'<input[^>]*id="pick-{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field and f"pick-{name}_error" in field
        assert f'id="pick-{name}_error"' in html
    assert response.context["period"].kind == "month"  # the page shows the default meanwhile


def test_the_period_picker_shows_a_quarter_and_a_year(client, world, cases):
    client.force_login(world.streetlead)
    year = timezone.localdate().year
    for query, kind in ((f"period=quarter&quarter={year}-1", "quarter"), (f"period=year&year={year}", "year")):
        response = client.get(f"{INDEX}?{query}")
        assert response.status_code == 200 and not response.context["errors"]
        assert response.context["period"].kind == kind


# --- the monthly report ----------------------------------------------------------------------


def test_the_report_page_shows_the_figures_of_the_month_and_prints(client, world, cases):
    client.force_login(world.streetlead)
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get(f"{REPORT}?month={month}")
    html = response.content.decode()
    report = response.context["report"]
    assert response.status_code == 200 and report.period.kind == "month"
    assert report.figures["reported"].value == 5
    row = re.search(r'<tr id="report-reported">.*?</tr>', html, re.S).group(0)
    assert ">5</a>" in row
    assert "data-print" in html and "js/print.js" in html
    assert "css/stats.css" in html


def test_the_report_opens_on_the_last_complete_month(client, world):
    client.force_login(world.streetlead)
    first = timezone.localdate().replace(day=1)
    period = client.get(REPORT).context["period"]
    assert period.end < first and period.start.day == 1 and (first - period.end).days == 1


def test_the_report_keeps_a_wrong_month_and_says_so(client, world):
    client.force_login(world.streetlead)
    response = client.get(f"{REPORT}?month=2026-99")
    assert "month" in response.context["errors"]
    assert 'value="2026-99"' in response.content.decode()


def test_the_excel_report_holds_the_figures_and_is_recorded(client, world, cases):
    client.force_login(world.streetlead)
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get(f"{XLSX}?unit=street:{world.qifeng.pk}&month={month}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(book.worksheets) == 3
    figures_sheet, breakdowns, rankings = book.worksheets
    rows = {row[0]: row[1:] for row in figures_sheet.iter_rows(min_row=5, values_only=True)}
    assert rows[str(figures.FIGURE_LABELS["reported"])][0] == 5
    assert rows[str(figures.FIGURE_LABELS["resolved"])][0] == 1
    labels = [row[0] for row in breakdowns.iter_rows(values_only=True)]
    assert str(Category.NEIGHBOUR.label) in labels and str(Category.FAMILY.label) in labels
    names = [row[0] for row in rankings.iter_rows(min_row=2, values_only=True)]
    assert "栖凤社区" in names
    record = ExportRecord.objects.get(user=world.streetlead)
    assert record.what == "stats_report" and record.rows > 0
    assert record.filters == {"unit": [f"street:{world.qifeng.pk}"], "month": [month]}


# --- cost ----------------------------------------------------------------------------------


def queries(client, url) -> tuple[int, list[str]]:
    assert client.get(url).status_code == 200  # warm up
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


# The session, the user with the top bar's bell count (cases.backends), their places and grants,
# the default unit (a street leader's), the report, the units to pick from (the top bar's streets
# are kept per process: grids/reference.py). Nothing grows with the cases or the length of the period.
INDEX_QUERIES = {"streetlead": 13, "worker1": 11}


@pytest.mark.parametrize("username", ["streetlead", "worker1"])
def test_the_statistics_page_costs_a_fixed_number_of_queries(client, world, username):
    client.force_login(getattr(world, username))
    year = timezone.localdate().year
    counts = {}
    bulk_cases(grid=world.grid1, creator=world.worker1, count=3)
    refresh()
    counts["few, month"] = queries(client, INDEX)
    counts["few, year"] = queries(client, f"{INDEX}?period=year&year={year}")
    bulk_cases(grid=world.grid1, creator=world.worker1, count=60, start=100, category="family")
    bulk_cases(grid=world.grid2, creator=world.worker2, count=60, start=200, category="labour")
    refresh()
    counts["many, month"] = queries(client, INDEX)
    counts["many, year"] = queries(client, f"{INDEX}?period=year&year={year}")
    numbers = {key: n for key, (n, _sql) in counts.items()}
    assert set(numbers.values()) == {INDEX_QUERIES[username]}, "\n".join(
        f"--- {key}: {n}\n" + "\n".join(sql) for key, (n, sql) in counts.items())


# --- Chinese -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["streetlead", "worker1", "admin"])
def test_the_pages_are_chinese(client, world, cases, username):
    client.force_login(getattr(world, username))
    month = timezone.localdate().strftime("%Y-%m")
    report = client.get(INDEX).context["report"]
    urls = [INDEX, f"{INDEX}?period=custom&start=2026-02-30&end=x", f"{INDEX}?period=year&year=2026",
            f"{REPORT}?month={month}", f"{REPORT}?month=x", report.figures["reported"].url,
            report.breakdowns["category"][0].url]
    found = []
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        words = english_words(response.content.decode(), usernames())
        if words:
            found.append(f"{url}: {', '.join(words)}")
    assert not found, "\n".join(found)
