"""The printed 调解协议书: full identity for those who may reveal it, each printing logged;
masked and marked as not for signing for everyone else who sees the case; counts in Chinese."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Party, PersonalDataDisclosure
from cases.printing import chinese_numeral
from mediators import services
from mediators.models import Mediator
from tests.factories import act, choose, make_case

pytestmark = pytest.mark.django_db

FULL_ID, MASKED_ID = "11010519491231002X", "1101**********002X"
FULL_PHONE, MASKED_PHONE = "13812345678", "138****5678"


def agreed_case(world, parties=None):
    """A case in mediation on grid1 (陈桂兰 chosen) whose agreement every party signs."""
    case = make_case(grid=world.grid1, actor=world.officer1, parties=parties)
    case = act(case, "triage", world.officer1)
    chen = Mediator.objects.get(name="陈桂兰")
    choose(case, world.officer1, chen)
    case = act(case, "start_mediation", world.officer1)
    today = timezone.localdate()
    services.record_agreement(case=case, actor=world.officer1, parties=list(case.parties.all()), mediators=[chen],
                              facts="楼上装修导致楼下渗水。", terms="楼上业主赔偿维修费3000元。",
                              fulfilment="当场支付。", fulfil_by=today + timedelta(days=7), signed_on=today,
                              place="多元化解调解室")
    return case


def print_agreement(client, user, case):
    client.force_login(user)
    response = client.get(reverse("mediators:agreement", args=[case.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("username", ["officer1", "worker1", "stationlead", "streetlead", "admin"])
def test_those_who_may_reveal_print_it_with_full_identity_and_it_is_logged(client, world, username):
    case = agreed_case(world)
    user = getattr(world, username)
    response = print_agreement(client, user, case)
    html = response.content.decode()
    assert response.context["full"] is True
    assert FULL_ID in html and FULL_PHONE in html and "13987654321" in html
    assert MASKED_ID not in html and 'class="sheet-not-for-signing"' not in html
    rows = PersonalDataDisclosure.objects.filter(case=case)
    assert sorted(rows.values_list("party__name", "user", "how", "ip_address")) == [
        ("李秀英", user.pk, "agreement", "10.1.2.3"), ("王建国", user.pk, "agreement", "10.1.2.3")]


def test_printing_twice_is_two_disclosures(client, world):
    case = agreed_case(world)
    print_agreement(client, world.officer1, case)
    print_agreement(client, world.officer1, case)
    assert PersonalDataDisclosure.objects.filter(case=case, how="agreement").count() == 4


@pytest.mark.parametrize("username", ["mediator1", "auxiliary1"])
def test_others_who_see_the_case_get_it_masked_and_marked_not_for_signing(client, world, username):
    """The chosen mediator and the auxiliary officer see the case but may not reveal."""
    case = agreed_case(world)
    response = print_agreement(client, getattr(world, username), case)
    html = response.content.decode()
    assert response.context["full"] is False
    assert MASKED_ID in html and MASKED_PHONE in html
    assert FULL_ID not in html and FULL_PHONE not in html
    assert 'class="sheet-not-for-signing"' in html and "sheet-masked" in html
    assert not PersonalDataDisclosure.objects.filter(case=case).exists()


def test_outsiders_get_404_and_a_post_is_refused(client, world):
    case = agreed_case(world)
    client.force_login(world.worker2)
    assert client.get(reverse("mediators:agreement", args=[case.pk])).status_code == 404
    client.force_login(world.officer1)
    assert client.post(reverse("mediators:agreement", args=[case.pk])).status_code == 405
    assert not PersonalDataDisclosure.objects.filter(case=case).exists()


def test_a_party_without_phone_or_id_number_is_not_a_disclosure(client, world):
    case = agreed_case(world, parties=[
        Party(name="王建国", role="applicant", phone=FULL_PHONE, id_number=FULL_ID),
        Party(name="某装饰工程有限公司", role="respondent", address="栖凤路8号")])
    print_agreement(client, world.officer1, case)
    assert list(PersonalDataDisclosure.objects.filter(case=case).values_list("party__name", flat=True)) == ["王建国"]


@pytest.mark.parametrize("party_count,copies", [(2, "三"), (4, "五"), (9, "十"), (11, "十二")])
def test_the_count_of_copies_is_written_in_chinese(client, world, party_count, copies):
    """One copy for each party and one for the mediation committee."""
    parties = [Party(name=f"当事人{i}", role="applicant" if i == 0 else "respondent") for i in range(party_count)]
    html = print_agreement(client, world.officer1, agreed_case(world, parties=parties)).content.decode()
    assert f"本协议一式{copies}份，当事人各执一份，调解组织留存一份。" in html


def test_a_long_name_is_printed_whole_beside_its_label(client, world):
    name = "栖凤街道幸福里小区第三期业主委员会临时代表王建国"
    assert len(name) >= 20
    case = agreed_case(world, parties=[Party(name=name, role="applicant", phone=FULL_PHONE),
                                       Party(name="李秀英", role="respondent")])
    html = print_agreement(client, world.officer1, case).content.decode()
    assert f"<dt>当事人（申请人）：</dt><dd>{name}</dd>" in html
    assert f'<span class="who">{name}</span>' in html


@pytest.mark.parametrize("n,written", [
    (1, "一"), (2, "两"), (3, "三"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"),
    (100, "一百"), (101, "一百零一"), (110, "一百一十"), (1001, "一千零一"), (1010, "一千零一十"),
])
def test_chinese_numerals(n, written):
    assert chinese_numeral(n) == written
