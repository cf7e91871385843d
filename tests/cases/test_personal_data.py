import pytest
from django.urls import reverse

from cases.models import PersonalDataDisclosure
from tests.factories import make_case

pytestmark = pytest.mark.django_db
PHONE, ID = "13812345678", "11010519491231002X"


@pytest.fixture
def case(world):
    return make_case(grid=world.grid1, actor=world.worker1)


def reveal_url(case):
    party = case.parties.get(phone=PHONE)
    return reverse("cases:reveal", args=[case.pk, party.pk]), party


@pytest.mark.parametrize("username", ["worker1", "officer1", "auxiliary1", "streetlead", "admin"])
def test_phone_and_id_number_are_masked_for_everyone_by_default(client, world, case, username):
    client.force_login(getattr(world, username))
    html = client.get(case.get_absolute_url()).content.decode()
    assert PHONE not in html and ID not in html
    assert "138****5678" in html and "1101**********002X" in html


def test_revealing_is_a_deliberate_logged_click(client, world, case):
    url, party = reveal_url(case)
    client.force_login(world.officer1)
    response = client.post(url, HTTP_HX_REQUEST="true", REMOTE_ADDR="10.1.2.3")
    html = response.content.decode()
    assert response.status_code == 200 and PHONE in html and ID in html
    assert "<html" not in html  # htmx gets just the party row
    log = PersonalDataDisclosure.objects.get()
    assert (log.user, log.case, log.party, log.ip_address) == (world.officer1, case, party, "10.1.2.3")
    # without htmx the whole page comes back with that party shown in full
    response = client.post(url)
    assert PHONE in response.content.decode() and PersonalDataDisclosure.objects.count() == 2
    # and the next plain view is masked again
    assert PHONE not in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.parametrize("username,status", [
    ("auxiliary1", 403), ("worker2", 404), ("mediator1", 404), ("streetlead_fh", 404),
])
def test_people_whose_role_or_scope_does_not_need_it_cannot_reveal(client, world, case, username, status):
    url, _party = reveal_url(case)
    client.force_login(getattr(world, username))
    assert client.post(url).status_code == status
    assert not PersonalDataDisclosure.objects.exists()


def test_revealing_needs_a_post(client, world, case):
    url, _party = reveal_url(case)
    client.force_login(world.officer1)
    assert client.get(url).status_code == 405


def test_search_by_phone_finds_the_case_without_showing_the_number(client, world, case):
    client.force_login(world.officer1)
    html = client.get(reverse("cases:list") + f"?q={PHONE}").content.decode()
    # the result rows: past the search box (which echoes the query), before the footer
    results = html.split('role="search"', 1)[1].split("</form>", 1)[1].split("<footer", 1)[0]
    assert case.number in results and PHONE not in results
