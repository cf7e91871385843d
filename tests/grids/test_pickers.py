"""No page ships a select of thousands of places: beyond PLAIN_MAX a grid or community choice is
a search box and a short select (htmx search, or the form sent with what was typed); the
navigation bar links a few street maps and the street index."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import context_processors, pickers
from grids.models import CommunityGrid, Street
from tests.factories import case_in_state

pytestmark = pytest.mark.django_db


def options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select #{select_id}"
    return re.findall(r'<option value="(\d*)"', select.group(1))


@pytest.fixture
def small_plain_max(monkeypatch):
    """Every user of the demo world has more than one grid: make that "thousands"."""
    monkeypatch.setattr(pickers, "PLAIN_MAX", 1)


def test_the_grid_search_finds_only_grids_the_user_may_see(client, world):
    client.force_login(world.worker1)
    html = client.get(reverse("grids:grid_search"), {"q": "QF"}).content.decode()
    assert f'value="{world.grid1.pk}"' in html and f'value="{world.grid2.pk}"' not in html
    client.force_login(world.streetlead)
    html = client.get(reverse("grids:grid_search"), {"grid_q": "FH"}).content.decode()
    assert f'value="{world.grid_fh.pk}"' not in html  # another street's grid
    html = client.get(reverse("grids:grid_search"), {"grid_q": world.grid1.community.name}).content.decode()
    assert f'value="{world.grid1.pk}"' in html


def test_the_grid_search_answers_at_most_twenty(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("grids:grid_search"), {"q": "QF", "status": "id_grid_status"})
    assert response.status_code == 200
    found = re.findall(r'<option value="(\d+)"', response.content.decode())
    assert 0 < len(found) <= pickers.RESULTS
    assert 'id="id_grid_status"' in response.content.decode()  # the count, read out


def test_the_grid_search_narrows_to_the_roles_asked_for(client, world):
    client.force_login(world.officer1)
    as_worker = client.get(reverse("grids:grid_search"), {"q": "QF", "roles": "community_worker"})
    assert re.findall(r'<option value="(\d+)"', as_worker.content.decode()) == []


def test_the_community_search_finds_communities_by_name_or_street(client, world):
    client.force_login(world.worker1)
    html = client.get(reverse("grids:community_search"), {"community_q": "凤凰"}).content.decode()
    assert f'value="{world.grid_fh.community_id}"' in html


def test_the_case_list_filter_is_a_picker_beyond_plain_max(client, world, small_plain_max):
    case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.admin)
    url = reverse("cases:list")
    html = client.get(url).content.decode()
    assert options(html, "id_grid") == [""]  # nothing listed until something is typed
    assert 'id="id_grid_q"' in html and 'hx-get="/grids/search/"' in html
    # without JavaScript: the text typed comes back as the matches to choose from
    html = client.get(url, {"grid_q": world.grid1.code}).content.decode()
    assert options(html, "id_grid") == ["", str(world.grid1.pk)]
    # chosen: kept after the filter is applied, and shown by name
    response = client.get(url, {"grid": world.grid1.pk})
    html = response.content.decode()
    assert options(html, "id_grid") == ["", str(world.grid1.pk)]
    assert f'<option value="{world.grid1.pk}" selected>{pickers.grid_label(world.grid1)}</option>' in html
    assert {c.grid_id for c in response.context["page"].object_list} == {world.grid1.pk}


def test_a_small_scope_keeps_a_plain_select(client, world):
    client.force_login(world.streetlead)
    html = client.get(reverse("cases:list")).content.decode()
    grids = CommunityGrid.objects.filter(community__street=world.qifeng).count()
    assert len(options(html, "id_grid")) == grids + 1 and 'id="id_grid_q"' not in html


def test_the_intake_and_move_forms_pick_grids_by_search(client, world, small_plain_max):
    client.force_login(world.admin)
    html = client.get(reverse("cases:create")).content.decode()
    assert 'id="id_grid_q"' in html and options(html, "id_grid") == [""]
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    html = client.get(reverse("cases:move_grid", args=[case.pk]), {"grid_q": world.grid2.code}).content.decode()
    assert 'id="id_grid_q"' in html
    response = client.post(reverse("cases:move_grid", args=[case.pk]),
                           {"grid_q": world.grid2.code, "version": case.version, "note": ""})
    assert response.status_code == 400  # no grid chosen yet: the matches are offered
    assert str(world.grid2.pk) in options(response.content.decode(), "id_grid")


def test_the_supermarket_picks_a_community_by_search(client, world, small_plain_max):
    client.force_login(world.worker1)
    url = reverse("mediators:supermarket")
    html = client.get(url).content.decode()
    assert options(html, "id_community") == [""] and 'id="id_community_q"' in html
    community = world.grid1.community
    html = client.get(url, {"community": community.pk}).content.decode()
    assert options(html, "id_community") == ["", str(community.pk)]


def test_the_navigation_links_a_few_streets_and_the_index(client, world, monkeypatch):
    monkeypatch.setattr(context_processors, "NAV_STREETS", 1)
    client.force_login(world.admin)
    html = client.get(reverse("cases:workbench")).content.decode()
    assert html.count('href="/grids/streets/') == 2  # one street map and the index
    assert f'href="{reverse("grids:street_index")}"' in html
    client.force_login(world.streetlead)
    html = client.get(reverse("cases:workbench")).content.decode()
    assert f'href="{reverse("grids:street_index")}"' not in html
    assert f'href="{world.qifeng.get_absolute_url()}"' in html


def test_the_street_index_lists_the_streets_the_user_may_see(client, world):
    client.force_login(world.streetlead)
    page = client.get(reverse("grids:street_index")).context["page"]
    assert list(page.object_list) == [world.qifeng]
    client.force_login(world.admin)
    page = client.get(reverse("grids:street_index"), {"q": "凤凰"}).context["page"]
    assert list(page.object_list) == [world.fenghuang]
    assert Street.objects.count() > 1


def test_the_navigation_reads_no_street_and_shows_a_rename_at_once(client, world):
    """The top bar's streets come from the scope and the streets kept per process (no query a
    page), yet a street renamed shows renamed on the next page."""
    client.force_login(world.streetlead)
    assert client.get(reverse("cases:workbench")).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("cases:workbench")).content.decode()
    assert "栖凤街道" in html and not [q for q in ctx.captured_queries if "FROM \"grids_street\" " in q["sql"]]
    world.qifeng.name = "栖凤新街道"
    world.qifeng.save()  # as the admin and the places workbook save it (signals: grids/apps.py)
    assert "栖凤新街道" in client.get(reverse("cases:workbench")).content.decode()


def test_a_street_made_by_another_process_is_in_the_navigation(client, world):
    """A street the kept streets do not know (made by another process: no signal here) is read."""
    from grids import reference

    reference.kept("streets", lambda: {})  # as kept before the street existed
    client.force_login(world.streetlead)
    streets, _more = context_processors.nav_streets(world.streetlead)
    assert [s.name for s in streets] == ["栖凤街道"]
