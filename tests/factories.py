"""Factories for test data, and the second street used as "outside" in every access test."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from grids import services
from grids.models import Community, CommunityGrid, GridLink, PoliceGrid, PoliceStation, Street
from grids.roles import Role

TEST_PASSWORD = "fengqiao-test-pw"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}街道")
    prefix = factory.Sequence(lambda n: f"测{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ["street", "name"]

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")


class CommunityGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityGrid
        django_get_or_create = ["code"]

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    code = factory.Sequence(lambda n: f"T-{n:04d}")


class PoliceStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceStation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}派出所")


class PoliceGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceGrid
        django_get_or_create = ["code"]

    station = factory.SubFactory(PoliceStationFactory)
    name = factory.Sequence(lambda n: f"第{n}警务区")
    code = factory.Sequence(lambda n: f"TJ-{n:04d}")
    post_name = factory.Sequence(lambda n: f"测试{n}警务室")


def link(police_grid, *community_grids):
    for grid in community_grids:
        GridLink.objects.get_or_create(police_grid=police_grid, community_grid=grid)


def person(username, role, place=None):
    """A user with a role, placed on a grid / station / street through the real service."""
    user = UserFactory(username=username)
    if place is None:
        services.give_role(user=user, role=role)
    else:
        services.place_user(user=user, role=role, place=place)
    return user


def build_other_street(grid_count: int = 1):
    """凤凰街道: a second street with its own station and people, outside every Qifeng scope."""
    street = StreetFactory(name="凤凰街道", prefix="凤凰")
    community = CommunityFactory(street=street, name="凤凰社区")
    station = PoliceStationFactory(name="凤凰派出所")
    police_grid = PoliceGridFactory(station=station, name="凤凰第一警务区", code="FH-J01")
    grids = [
        CommunityGridFactory(community=community, name=f"第{i}网格", code=f"FH-01-{i:02d}")
        for i in range(1, grid_count + 1)
    ]
    link(police_grid, *grids)
    person("worker_fh", Role.WORKER, grids[0])
    person("officer_fh", Role.OFFICER, police_grid)
    person("stationlead_fh", Role.STATION_LEADER, station)
    person("streetlead_fh", Role.STREET_LEADER, street)
    return street
