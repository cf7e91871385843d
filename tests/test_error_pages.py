"""Every error page is the app's own page in Chinese, never Django's bare English one.

Run with DEBUG=False (what production shows). The 403 / 500 / 503 cases need a view that
fails on purpose: this module doubles as a URLconf that adds such views to the real ones and
keeps the real error handlers (so the test also proves config/urls.py wires them).
"""

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client
from django.urls import path, reverse

from config import urls as app_urls

pytestmark = pytest.mark.django_db

ENGLISH = ("Bad Request", "Forbidden", "Not Found", "Server Error", "Service Unavailable")


def _forbidden(request):
    raise PermissionDenied


def _crash(request):
    raise ZeroDivisionError("a bug")


def _database_down(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


urlpatterns = [
    *app_urls.urlpatterns,
    path("test-errors/no-right/", _forbidden),
    path("test-errors/crash/", _crash),
    path("test-errors/db-down/", _database_down),
]
# the app's handlers (None, like a URLconf without them, falls back to Django's defaults)
handler400 = getattr(app_urls, "handler400", None)
handler403 = getattr(app_urls, "handler403", None)
handler404 = getattr(app_urls, "handler404", None)
handler500 = getattr(app_urls, "handler500", None)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.worker1)
    return client


def assert_own_chinese_page(response, status, *chinese):
    html = response.content.decode()
    assert response.status_code == status, html[:500]
    assert response["Content-Type"].startswith("text/html")
    for text in chinese:
        assert text in html, html
    for english in ENGLISH:
        assert english.lower() not in html.lower(), english


def test_a_huge_form_body_gets_the_too_large_page_not_a_bare_400(signed_in):
    # 50 MB of url-encoded text, far over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    body = "old_password=x&new_password1=" + "x" * (50 * 1024 * 1024)
    response = signed_in.post(
        reverse("password_change"), body, content_type="application/x-www-form-urlencoded"
    )
    assert_own_chinese_page(response, 413, "提交的内容过大", "返回工作台")


def test_a_bad_request_gets_the_app_page(signed_in):
    # a Host header outside ALLOWED_HOSTS is Django's commonest 400 (SuspiciousOperation)
    response = signed_in.get(reverse("password_change"), HTTP_HOST="evil.example")
    assert_own_chinese_page(response, 400, "请求无法处理")


def test_a_missing_page_gets_the_app_page(signed_in):
    assert_own_chinese_page(signed_in.get("/no-such-page/"), 404, "未找到")


def test_a_forbidden_action_gets_the_app_page(signed_in):
    assert_own_chinese_page(signed_in.get("/test-errors/no-right/"), 403, "无权操作")


def test_a_failed_csrf_check_gets_the_app_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "worker1", "password": "fengqiao-demo"})
    assert_own_chinese_page(response, 403, "表单已过期", "刷新页面")


def test_a_locked_out_sign_in_gets_the_app_page(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": "worker1", "password": "wrong"})
    assert_own_chinese_page(response, 429, "登录失败次数过多")


def test_a_crash_gets_the_plain_app_page(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.worker1)
    assert_own_chinese_page(client.get("/test-errors/crash/"), 500, "出错了", "请稍后再试")


def assert_database_page(response, started):
    # no waiting or retrying: far below a 30 s hang, with room for a loaded CI machine
    assert time.monotonic() - started < 10
    assert_own_chinese_page(response, 503, "服务暂时不可用", "数据库")
    assert int(response["Retry-After"]) > 0


def test_a_database_outage_in_a_view_gets_the_503_page_at_once(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.worker1)
    started = time.monotonic()
    assert_database_page(client.get("/test-errors/db-down/"), started)


def test_a_database_outage_before_the_view_gets_the_503_page(world, monkeypatch):
    """The session is read by middleware, before any view: no process_exception there."""
    client = Client(raise_request_exception=False)
    client.force_login(world.worker1)

    attempts = []

    def down(self):
        attempts.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", down)
    started = time.monotonic()
    assert_database_page(client.get(reverse("password_change")), started)
    # once: each attempt waits out the pool's timeout while PostgreSQL is down
    assert len(attempts) == 1


def test_a_failed_session_save_is_a_503_not_a_bare_400(world, monkeypatch):
    """Django turns a database error while saving the session into SessionInterrupted (400)."""
    client = Client(raise_request_exception=False)
    client.force_login(world.worker1)

    def down(self, *args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(Session, "save", down)
    started = time.monotonic()
    assert_database_page(client.get(reverse("password_change")), started)


def test_the_too_large_page_has_an_address_for_nginx(client):
    """nginx refuses bodies over client_max_body_size itself; `error_page 413` shows this."""
    response = client.get(reverse("request_too_large"))
    assert_own_chinese_page(response, 413, "提交的内容过大")
