import pytest
from django.urls import reverse

from tests.helpers import assert_same_query_count

pytestmark = pytest.mark.django_db


def test_it_lists_the_workers_and_the_covering_police_grid(client, world):
    client.force_login(world.officer1)
    html = client.get(reverse("grids:grid_detail", args=[world.grid1.pk])).content.decode()
    assert world.worker1.first_name in html
    assert "第一警务区" in html and "栖凤社区警务室" in html
    assert world.officer1.first_name in html


def test_query_count_does_not_depend_on_the_street(client, world):
    client.force_login(world.admin)
    assert_same_query_count(
        client,
        reverse("grids:grid_detail", args=[world.grid_fh.pk]),
        reverse("grids:grid_detail", args=[world.grid1.pk]),
    )
