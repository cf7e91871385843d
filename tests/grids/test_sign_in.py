import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_sign_in_page_is_in_chinese(client):
    html = client.get(LOGIN).content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html


def test_a_wrong_password_says_so_and_keeps_the_username(client, world):
    response = sign_in(client, "worker1", "wrong")
    html = response.content.decode()
    assert response.status_code == 200
    assert "请输入一个正确的" in html  # Django's own Chinese message for bad credentials
    assert 'value="worker1"' in html


def test_repeated_failures_lock_the_account_at_that_address(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "worker1", "wrong")
    # even the right password is refused now from that address…
    response = sign_in(client, "worker1", "fengqiao-demo")
    assert response.status_code == 429
    assert "15" in response.content.decode()
    # …while a colleague behind the same address (a police post's NAT) still signs in
    assert sign_in(client, "worker2", "fengqiao-demo").status_code == 302


def test_sign_out_needs_a_post_and_ends_the_session(client, world):
    client.force_login(world.worker1)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("cases:workbench")).status_code == 302


def test_sessions_expire_after_an_idle_period(client, world, settings):
    client.force_login(world.worker1)
    client.get(reverse("cases:workbench"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 8 * 3600
    # each request restarts the idle clock, saving the session at most once per refresh interval
    assert settings.FENGQIAO_SESSION_REFRESH_SECONDS < settings.SESSION_COOKIE_AGE / 10


def test_a_page_that_changes_nothing_does_not_write_the_session(client, world, settings):
    client.force_login(world.worker1)
    url = reverse("cases:workbench")
    client.get(url)  # the first page after signing in starts the refresh clock
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries
              if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_the_idle_clock_restarts_once_the_refresh_interval_has_passed(client, world, settings):
    client.force_login(world.worker1)
    url = reverse("cases:workbench")
    client.get(url)
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    settings.FENGQIAO_SESSION_REFRESH_SECONDS = 0
    client.get(url)
    assert Session.objects.get(session_key=client.session.session_key).expire_date > expiry


def test_password_change_keeps_the_user_signed_in(client, world):
    client.force_login(world.worker1)
    response = client.post(reverse("password_change"), {
        "old_password": "fengqiao-demo",
        "new_password1": "a-much-longer-passphrase-7",
        "new_password2": "a-much-longer-passphrase-7",
    })
    assert response.status_code == 302
    assert client.get(reverse("cases:workbench")).status_code == 200


def test_english_is_one_click_away_and_chinese_is_the_default(client, world):
    client.force_login(world.worker1)
    assert "工作台" in client.get(reverse("cases:workbench")).content.decode()
    # a browser asking for English still gets Chinese until the user switches
    assert "工作台" in client.get(reverse("cases:workbench"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("cases:workbench")).content.decode()
    assert "Work bench" in html and "工作台" not in html
