import re

import pytest
from django.urls import reverse

from tests.factories import CommunityGridFactory, PoliceGridFactory, link
from tests.helpers import assert_same_query_count

pytestmark = pytest.mark.django_db


def map_url(street):
    return reverse("grids:street_map", args=[street.pk])


def test_it_shows_police_grids_with_their_community_grids_and_people(client, world):
    client.force_login(world.streetlead)
    html = client.get(map_url(world.qifeng)).content.decode()
    for police_grid in ("第一警务区", "第八警务区", "栖凤社区警务室", "兰亭广场警务站"):
        assert police_grid in html
    assert len(re.findall(r'href="/grids/\d+/"', html)) == 26  # each grid links to its page
    assert world.officer1.first_name in html
    assert world.worker1.first_name in html and world.worker2.first_name in html


def test_a_worker_sees_only_their_own_grid_and_its_police(client, world):
    client.force_login(world.worker1)
    html = client.get(map_url(world.qifeng)).content.decode()
    assert world.grid1.get_absolute_url() in html
    assert world.grid2.get_absolute_url() not in html
    assert world.officer1.first_name in html
    assert world.officer2.first_name not in html
    assert "第二警务区" not in html


def test_an_officer_sees_the_grids_his_police_grid_covers(client, world):
    client.force_login(world.officer1)
    html = client.get(map_url(world.qifeng)).content.decode()
    assert "第一警务区" in html and "第二警务区" not in html
    # police grid 1 covers four community grids
    assert len(re.findall(r'href="/grids/\d+/"', html)) == 4


def test_a_community_grid_no_police_grid_covers_is_flagged(client, world):
    orphan = CommunityGridFactory(community=world.grid1.community, name="新建网格", code="QF-99")
    client.force_login(world.streetlead)
    html = client.get(map_url(world.qifeng)).content.decode()
    assert "新建网格" in html
    assert "没有警格覆盖的网格" in html
    assert orphan.get_absolute_url() in html


def test_query_count_is_the_same_for_a_small_and_a_large_street(client, world):
    # Qifeng has 26 grids and 8 police grids; Fenghuang has 1 and 1. Grow Fenghuang's map a
    # little so both render every branch, then compare.
    extra = CommunityGridFactory(community=world.grid_fh.community, code="FH-01-02")
    link(PoliceGridFactory(station=world.grid_fh.police_grids.first().station), extra)
    client.force_login(world.admin)
    count = assert_same_query_count(client, map_url(world.fenghuang), map_url(world.qifeng))
    assert count <= 13  # incl. the bell
