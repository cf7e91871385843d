"""Nothing a signed-in user sees may stay in the browser's cache: police PCs are shared."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def assert_not_stored(response):
    response.close()  # a download's file
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


@pytest.mark.parametrize("url", [reverse("cases:workbench"), reverse("cases:list")])
def test_pages_for_a_signed_in_user_are_not_stored(client, world, url):
    client.force_login(world.worker1)
    assert_not_stored(client.get(url))


def test_downloads_for_a_signed_in_user_are_not_stored(client, world):
    client.force_login(world.streetlead)
    assert_not_stored(client.get(reverse("cases:ledger_export")))


def test_error_pages_for_a_signed_in_user_are_not_stored(client, world):
    client.force_login(world.worker1)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]


def test_static_files_keep_their_cache_headers(client, world):
    """whitenoise answers before the session is read: static files stay cacheable."""
    client.force_login(world.worker1)
    response = client.get("/static/css/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response
