"""A page sent back with errors says so first in its title, once ("有错误：…"), whichever of its
forms failed; the same page without errors does not."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Referral
from tests.factories import a_department, case_in_state

pytestmark = pytest.mark.django_db

ERROR = "有错误："


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def assert_error_title(response):
    assert response.status_code == 400
    assert title(response).startswith(ERROR) and title(response).count(ERROR) == 1, title(response)


@pytest.fixture
def triaged(world):
    return case_in_state("triaged", grid=world.grid1, actor=world.officer1)


def test_a_case_page_has_no_error_title_when_nothing_failed(client, world, triaged):
    client.force_login(world.officer1)
    assert ERROR not in title(client.get(triaged.get_absolute_url()))


def test_the_joint_team_page_says_error_once(client, world, triaged):
    client.force_login(world.officer1)
    assert ERROR not in title(client.get(reverse("cases:team", args=[triaged.pk])))
    assert_error_title(client.post(reverse("cases:team", args=[triaged.pk]), {}))


def test_a_failed_comment_gives_the_case_page_an_error_title(client, world, triaged):
    client.force_login(world.officer1)
    assert_error_title(client.post(reverse("cases:comment", args=[triaged.pk]), {}))


def test_a_failed_direct_referral_gives_the_case_page_an_error_title(client, world, triaged):
    client.force_login(world.officer1)
    assert_error_title(client.post(reverse("cases:referral_send", args=[triaged.pk]), {}))


def test_a_failed_referral_decision_gives_the_case_page_an_error_title(client, world, triaged):
    Case.objects.filter(pk=triaged.pk).update(risk="serious")  # a serious case's referral waits for a leader
    client.force_login(world.officer1)
    client.post(reverse("cases:referral_send", args=[triaged.pk]), {
        "send_referral-department": a_department().pk, "send_referral-request": "请住建部门责令修复排污管",
        "send_referral-deadline": (timezone.localdate() + timedelta(days=5)).isoformat()})
    referral = Referral.objects.get(case=triaged, status="awaiting")
    client.force_login(world.stationlead)
    assert_error_title(client.post(reverse("cases:referral_decide", args=[triaged.pk, referral.pk]), {}))


def test_a_failed_step_of_the_workflow_gives_the_case_page_an_error_title(client, world, triaged):
    client.force_login(world.officer1)
    assert_error_title(client.post(reverse("cases:transition", args=[triaged.pk, "escalate"]),
                                   {"escalate-version": triaged.version}))
