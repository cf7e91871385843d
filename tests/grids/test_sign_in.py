import pytest
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


def test_repeated_failures_lock_the_account_with_a_clear_message(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "worker1", "wrong")
    # even the right password is refused now, from another address too
    response = sign_in(client, "worker1", "fengqiao-demo", ip="10.0.0.2")
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多" in html and "15 分钟" in html
    # another account from a fresh address is not affected
    assert sign_in(client, "worker2", "fengqiao-demo", ip="10.0.0.3").status_code == 302


def test_repeated_failures_from_one_address_lock_that_address(client, world, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "wrong", ip="10.9.9.9")
    assert sign_in(client, "worker2", "fengqiao-demo", ip="10.9.9.9").status_code == 429


def test_sign_out_needs_a_post_and_ends_the_session(client, world):
    client.force_login(world.worker1)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("cases:workbench")).status_code == 302


def test_sessions_expire_after_an_idle_period(client, world, settings):
    client.force_login(world.worker1)
    client.get(reverse("cases:workbench"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request restarts the idle clock


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
