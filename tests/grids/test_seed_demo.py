import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from grids.models import CommunityGrid, GridLink, PoliceGrid

pytestmark = pytest.mark.django_db


def counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label in {"auth", "grids", "cases", "mediators"}}


def test_it_lays_out_the_street_like_qifeng(world):
    grids = CommunityGrid.objects.filter(community__street=world.qifeng)
    assert grids.count() == 26
    assert PoliceGrid.objects.filter(station__name="栖凤派出所").count() == 8
    assert GridLink.objects.filter(community_grid__in=grids).count() == 26
    for grid in grids:
        assert grid.communitygriduserobjectpermission_set.count() == 2


def test_running_it_twice_changes_nothing(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    before = counts()
    call_command("seed_demo")
    assert counts() == before
    assert "worker1" in capsys.readouterr().out


def test_it_refuses_to_run_in_production_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    call_command("seed_demo", "--force")


def test_demo_logins_use_the_documented_password(client):
    response = client.post("/accounts/login/", {"username": "officer1", "password": "fengqiao-demo"})
    assert response.status_code == 302
    assert response["Location"] == "/"
