"""The access matrix for every page so far: each role x inside / outside its scope."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# page key -> how to build its URL from the world
PAGES = {
    "workbench": lambda w: reverse("cases:workbench"),
    "map_qifeng": lambda w: reverse("grids:street_map", args=[w.qifeng.pk]),
    "map_fenghuang": lambda w: reverse("grids:street_map", args=[w.fenghuang.pk]),
    "grid1": lambda w: reverse("grids:grid_detail", args=[w.grid1.pk]),
    "grid2": lambda w: reverse("grids:grid_detail", args=[w.grid2.pk]),
    "grid_fh": lambda w: reverse("grids:grid_detail", args=[w.grid_fh.pk]),
    "password_change": lambda w: reverse("password_change"),
    "case_list": lambda w: reverse("cases:list"),
    "case_create": lambda w: reverse("cases:create"),
    "ledger": lambda w: reverse("cases:ledger"),
    "dashboard": lambda w: reverse("cases:dashboard"),
    "meetings": lambda w: reverse("cases:meetings"),
    "calls": lambda w: reverse("cases:calls"),
    "supermarket": lambda w: reverse("mediators:supermarket"),
}
LEADER_PAGES = {"ledger", "dashboard"}
LEADERS = {"stationlead", "streetlead", "admin", "stationlead_fh", "streetlead_fh"}

# user -> expected status per page, in the order of PAGES
MATRIX = {
    #                workbench map_qf map_fh grid1 grid2 grid_fh password list create
    "worker1":        (200, 200, 404, 200, 404, 404, 200, 200, 200),
    "worker2":        (200, 200, 404, 404, 200, 404, 200, 200, 200),
    "officer1":       (200, 200, 404, 200, 404, 404, 200, 200, 200),
    "officer2":       (200, 200, 404, 404, 200, 404, 200, 200, 200),
    "auxiliary1":     (200, 200, 404, 200, 404, 404, 200, 200, 200),
    "stationlead":    (200, 200, 404, 200, 200, 404, 200, 200, 200),
    "streetlead":     (200, 200, 404, 200, 200, 404, 200, 200, 200),
    "mediator1":      (200, 404, 404, 404, 404, 404, 200, 200, 403),
    "admin":          (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "worker_fh":      (200, 404, 200, 404, 404, 200, 200, 200, 200),
    "officer_fh":     (200, 404, 200, 404, 404, 200, 200, 200, 200),
    "stationlead_fh": (200, 404, 200, 404, 404, 200, 200, 200, 200),
    "streetlead_fh":  (200, 404, 200, 404, 404, 200, 200, 200, 200),
}


@pytest.mark.parametrize("username", MATRIX)
@pytest.mark.parametrize("page", list(PAGES))
def test_each_role_gets_exactly_its_status(client, world, username, page):
    client.force_login(getattr(world, username))
    if page in LEADER_PAGES:
        expected = 200 if username in LEADERS else 403
    elif page in ("calls", "supermarket", "meetings"):
        expected = 200  # each lists only what the user's scope holds (meetings: coordination
        # meetings on the cases one may open, and the joint meetings for leaders)
    else:
        expected = MATRIX[username][list(PAGES).index(page)]
    response = client.get(PAGES[page](world))
    assert response.status_code == expected, f"{username} on {page}"


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_is_sent_to_sign_in(client, world, page):
    url = PAGES[page](world)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_404_does_not_reveal_the_place(client, world):
    client.force_login(world.worker1)
    response = client.get(PAGES["grid_fh"](world))
    assert response.status_code == 404
    assert "凤凰" not in response.content.decode()
