import pytest
from django.urls import reverse

from grids.models import Community
from mediators.models import Mediator

pytestmark = pytest.mark.django_db


def form(**overrides):
    community = Community.objects.filter(street__name="栖凤街道").order_by("name").first()
    data = {"name": "新调解员", "team": "judicial", "organisation": "栖凤司法所", "profession": "lawyer",
            "specialties": ["debt", "labour"], "dialects": "普通话", "communities": [community.pk], "capacity": "4",
            "introduction": "执业十年。", "phone": "", "id_number": "", "user": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize("username,status", [
    ("streetlead", 302), ("stationlead", 302), ("admin", 302),
    ("worker1", 403), ("officer1", 403), ("mediator1", 403),
])
def test_leaders_and_administrators_add_mediators(client, world, username, status):
    client.force_login(getattr(world, username))
    response = client.post(reverse("mediators:create"), form())
    assert response.status_code == status
    assert Mediator.objects.filter(name="新调解员").exists() == (status == 302)


def test_editing_keeps_typed_values_on_error_and_saves_specialties(client, world):
    client.force_login(world.streetlead)
    client.post(reverse("mediators:create"), form())
    mediator = Mediator.objects.get(name="新调解员")
    response = client.post(reverse("mediators:edit", args=[mediator.pk]), form(capacity="", introduction="改过的简介"))
    assert response.status_code == 400 and "改过的简介" in response.content.decode()
    client.post(reverse("mediators:edit", args=[mediator.pk]), form(specialties=["family"], capacity="6"))
    mediator.refresh_from_db()
    assert mediator.capacity == 6
    assert list(mediator.specialties.values_list("category", flat=True)) == ["family"]


def test_retiring_takes_a_mediator_off_the_supermarket(client, world):
    mediator = Mediator.objects.get(name="陈桂兰")
    client.force_login(world.worker1)
    assert client.post(reverse("mediators:retire", args=[mediator.pk]), {"active": "0"}).status_code == 403
    client.force_login(world.streetlead)
    client.post(reverse("mediators:retire", args=[mediator.pk]), {"active": "0"})
    mediator.refresh_from_db()
    assert not mediator.active
    names = [m.name for m, _f, _s in client.get(reverse("mediators:supermarket")).context["rows"]]
    assert "陈桂兰" not in names
