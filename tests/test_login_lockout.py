"""Sign-in lockout counts failures per username *and* client address (issue 9).

A police post sits behind one NAT or reverse-proxy address: one person's five wrong passwords
must not lock everyone else out. Behind the documented reverse proxy (TRUSTED_PROXIES=1) the
client address is the one the proxy appends to X-Forwarded-For, not the proxy's own.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.254"  # nginx, as Django sees it (REMOTE_ADDR)
RIGHT = "fengqiao-demo"


def sign_in(client, username, password, ip="10.0.0.1", forwarded_for=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    client.logout()
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail_until_locked(client, settings, username, **where):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, username, "wrong", **where)


def test_failures_for_one_user_do_not_lock_others_at_the_same_address(client, world, settings):
    fail_until_locked(client, settings, "worker1", ip="10.0.0.1")
    assert sign_in(client, "worker2", RIGHT, ip="10.0.0.1").status_code == 302


def test_failures_lock_that_user_at_that_address(client, world, settings):
    fail_until_locked(client, settings, "worker1", ip="10.0.0.1")
    response = sign_in(client, "worker1", RIGHT, ip="10.0.0.1")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, world, settings):
    """Anyone can send the header: unless a proxy we trust sets it, it means nothing."""
    settings.FENGQIAO_TRUSTED_PROXIES = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "worker1", "wrong", ip=PROXY, forwarded_for=f"192.168.5.{n}")
    assert sign_in(client, "worker1", RIGHT, ip=PROXY, forwarded_for="192.168.5.99").status_code == 429


def test_behind_the_proxy_clients_are_told_apart(client, world, settings):
    settings.FENGQIAO_TRUSTED_PROXIES = 1
    fail_until_locked(client, settings, "worker1", ip=PROXY, forwarded_for="192.168.5.10")
    # the same user at another PC of the post still signs in; at the first PC they are locked
    assert sign_in(client, "worker1", RIGHT, ip=PROXY, forwarded_for="192.168.5.11").status_code == 302
    assert sign_in(client, "worker1", RIGHT, ip=PROXY, forwarded_for="192.168.5.10").status_code == 429


def test_behind_the_proxy_a_forged_header_does_not_dodge_the_lockout(client, world, settings):
    """nginx appends the real address to whatever the client sent: only the last entry counts."""
    settings.FENGQIAO_TRUSTED_PROXIES = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "worker1", "wrong", ip=PROXY, forwarded_for=f"1.2.3.{n}, 192.168.5.10")
    assert sign_in(client, "worker1", RIGHT, ip=PROXY, forwarded_for="192.168.5.10").status_code == 429


def test_records_of_personal_data_keep_the_clients_address_behind_the_proxy(client, world, settings):
    from django.urls import reverse

    from cases.models import PersonalDataDisclosure
    from tests.factories import make_case

    settings.FENGQIAO_TRUSTED_PROXIES = 1
    case = make_case(grid=world.grid1, actor=world.worker1)
    party = case.parties.first()
    client.force_login(world.officer1)
    client.post(reverse("cases:reveal", args=[case.pk, party.pk]),
                HTTP_X_FORWARDED_FOR="10.1.2.3", REMOTE_ADDR="127.0.0.1")
    assert PersonalDataDisclosure.objects.get(party=party).ip_address == "10.1.2.3"
