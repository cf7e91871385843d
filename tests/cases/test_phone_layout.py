"""What a phone needs from the list pages and the case page (issue 10, item 13): filters folded
behind one toggle that counts those in use, the ledger as cards, a jump to the timeline, a call
from a case with its grid already chosen. The browser walk is tests/e2e/test_phone_browser.py."""

import re

import pytest
from django.urls import reverse

from tests.factories import case_in_state, make_case

pytestmark = pytest.mark.django_db


def folded_part(html):
    """The HTML of the filters that fold (the collapse), and its opening tag."""
    start = html.index('id="more-filters"')
    tag_start = html.rindex("<div", 0, start)
    return html[tag_start:html.index("</form>", start)], html[tag_start:html.index(">", start) + 1]


def toggle(html):
    return re.search(r'<button[^>]*data-bs-target="#more-filters"[^>]*>(.*?)</button>', html, re.S)


@pytest.mark.parametrize("url_name,search", [
    ("cases:list", "q"), ("cases:ledger", "q"), ("mediators:supermarket", "name"),
])
def test_the_search_box_stays_in_sight_and_the_other_filters_fold(client, world, url_name, search):
    client.force_login(world.streetlead)
    response = client.get(reverse(url_name))
    html = response.content.decode()
    folded, tag = folded_part(html)
    assert "collapse" in tag and "d-md-block" in tag and "show" not in tag  # open on a desk only
    assert f'name="{search}"' in html and f'name="{search}"' not in folded
    others = [f.html_name for f in response.context["filter"].form if f.html_name != search]
    assert others and all(f'name="{name}"' in folded for name in others)
    button = toggle(html)
    assert 'aria-expanded="false"' in button.group(0) and "badge" not in button.group(1)


def test_the_toggle_counts_the_filters_in_use_and_opens_on_an_error(client, world):
    client.force_login(world.officer1)
    url = reverse("cases:list")
    # the search is in sight and not counted; an empty choice is not a filter in use
    html = client.get(f"{url}?q=车位&state=triaged&overdue=on&category=").content.decode()
    assert re.search(r'<span aria-hidden="true">2</span>', toggle(html).group(1))
    assert "show" not in folded_part(html)[1]
    # a filter that cannot be used (a grid out of scope) opens the fold to show why
    html = client.get(f"{url}?grid={world.grid_fh.pk}").content.decode()
    folded, tag = folded_part(html)
    assert "show" in tag and 'aria-expanded="true"' in toggle(html).group(0)
    assert 'id="id_grid_error"' in folded


def test_the_ledger_is_a_card_per_case_on_a_phone_and_a_table_on_a_desk(client, world):
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    major = make_case(grid=world.grid2, actor=world.officer2, risk="major")
    client.force_login(world.streetlead)
    html = client.get(reverse("cases:ledger")).content.decode()
    cards = html[html.index("ledger-cards"):html.index("<table")]
    table = html[html.index("<table"):html.index("</table>")]
    assert "d-md-none" in html[html.rindex("<div", 0, html.index("ledger-cards")):html.index("ledger-cards")]
    for case in (escalated, major):
        card = re.search(rf'<a class="list-group-item[^"]*" href="{case.get_absolute_url()}">(.*?)</a>', cards, re.S)
        assert card and case.number in card.group(1) and case.title in card.group(1)
        assert "<dt>" in card.group(1)  # labelled facts, not table headers
        assert case.number in table


def test_the_case_page_jumps_to_the_timeline_before_any_form(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    main = html[html.index("<main"):]
    assert 'id="timeline"' in main
    assert main.index('href="#timeline"') < main.index("<form")


def test_a_call_from_a_case_has_the_case_grid_chosen(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    for user in (world.worker1, world.officer1):
        client.force_login(user)
        form = client.get(reverse("cases:call_create") + f"?case={case.pk}").context["form"]
        assert form["grid"].value() == world.grid1.pk
        assert [value for value, _label in form.fields["grid"].choices] == [world.grid1.pk]
        html = client.get(reverse("cases:call_create") + f"?case={case.pk}").content.decode()
        assert re.search(rf'<option value="{world.grid1.pk}" selected>', html)
    # without a case the officer chooses among the grids of his police grid
    form = client.get(reverse("cases:call_create")).context["form"]
    assert form["grid"].value() is None and len(list(form.fields["grid"].choices)) > 2
