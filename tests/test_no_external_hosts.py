"""Police intranets have no internet: no page may load anything from another host."""

import pytest
from django.urls import reverse

from tests.helpers import EXTERNAL_REF

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_loads_nothing_from_elsewhere(client):
    html = client.get(reverse("login")).content.decode()
    assert "bootstrap.min.css" in html and "htmx" in html
    assert not EXTERNAL_REF.findall(html)


@pytest.mark.parametrize("url_name,args", [
    ("cases:workbench", []),
    ("grids:street_map", ["qifeng"]),
    ("grids:grid_detail", ["grid1"]),
    ("password_change", []),
    ("admin:index", []),
    ("cases:list", []),
    ("cases:ledger", []),
    ("cases:dashboard", []),
    ("cases:calls", []),
    ("cases:meetings", []),
    ("mediators:supermarket", []),
])
def test_signed_in_pages_load_nothing_from_elsewhere(client, world, url_name, args):
    client.force_login(world.admin)
    url = reverse(url_name, args=[getattr(world, a).pk for a in args])
    response = client.get(url)
    assert response.status_code == 200
    assert not EXTERNAL_REF.findall(response.content.decode())


def test_the_helper_does_catch_a_cdn_link():
    assert EXTERNAL_REF.findall('<script src="https://cdn.example.com/x.js"></script>')
    assert EXTERNAL_REF.findall("<link href='//cdn.example.com/x.css'>")
    assert not EXTERNAL_REF.findall('<script src="/static/x.js"></script>')


def test_every_vendored_asset_is_served_by_the_app(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("cases:workbench")).content.decode()
    import re
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(path).status_code == 200, path
