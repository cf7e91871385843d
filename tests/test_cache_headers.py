"""Nothing a signed-in user sees may stay in the browser's cache: police PCs are shared."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import workflow
from cases.uploads import check_upload
from tests.factories import make_case

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


def test_attachment_downloads_are_not_stored(client, world, settings, tmp_path):
    """A photo of a party's home, a scanned ID card: never left in a shared PC's cache."""
    settings.MEDIA_ROOT = str(tmp_path)
    case = make_case(grid=world.grid1, actor=world.worker1)
    upload = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    check_upload(upload)
    attachment = workflow.add_attachments(case=case, actor=world.worker1, files=[upload])[0]
    client.force_login(world.officer1)
    response = client.get(reverse("cases:attachment", args=[case.pk, attachment.pk]))
    assert response["Content-Type"] == "image/png"
    assert_not_stored(response)
