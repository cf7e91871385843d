"""A role is held on a place: an officer on police grid 1 who is also a community worker on
grid 2 has officer powers under police grid 1 and worker powers on grid 2, nothing more."""

import pytest

from cases import permissions
from grids import access
from grids.models import PoliceGrid
from grids.roles import Role
from tests.factories import case_in_state, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_hats(world):
    police_grid1 = PoliceGrid.objects.get(links__community_grid=world.grid1)
    user = person("two_hats", Role.OFFICER, police_grid1)
    from grids import services

    services.place_user(user=user, role=Role.WORKER, place=world.grid2)
    access.forget(user)
    return user


def test_the_scope_says_which_role_is_held_where(world, two_hats):
    scope = access.scope_of(two_hats)
    assert Role.OFFICER in scope.roles_on(world.grid1.pk) and Role.WORKER not in scope.roles_on(world.grid1.pk)
    assert scope.roles_on(world.grid2.pk) == {Role.WORKER}
    assert scope.roles_on(world.grid_fh.pk) == set()


def test_officer_powers_stay_under_the_officers_police_grid(world, two_hats):
    on_grid1 = case_in_state("reported", grid=world.grid1, actor=world.admin)
    on_grid2 = case_in_state("reported", grid=world.grid2, actor=world.admin)
    assert "triage" in permissions.capabilities(two_hats, on_grid1)
    assert "triage" not in permissions.capabilities(two_hats, on_grid2)
    assert "withdraw" in permissions.capabilities(two_hats, on_grid2)  # a worker may withdraw


def test_calls_go_in_the_direction_of_the_role_held_on_that_grid(world, two_hats):
    assert permissions.call_direction(two_hats, world.grid1.pk) == "police_to_grid"
    assert permissions.call_direction(two_hats, world.grid2.pk) == "grid_to_police"
    assert permissions.call_direction(two_hats, world.grid_fh.pk) is None


def test_an_auxiliary_holds_the_auxiliary_role_on_his_police_grid(world):
    roles = access.roles_on_grid(world.auxiliary1, world.grid1.pk)
    assert roles == {Role.AUXILIARY}
    case = case_in_state("reported", grid=world.grid1, actor=world.admin)
    assert "triage" not in permissions.capabilities(world.auxiliary1, case)
    assert "reveal_personal_data" not in permissions.capabilities(world.auxiliary1, case)
    assert "triage" in permissions.capabilities(world.officer1, case)


def test_a_group_without_a_place_gives_no_power(world):
    labelled = person("labelled_only", Role.OFFICER)
    case = case_in_state("reported", grid=world.grid1, actor=world.admin)
    assert permissions.capabilities(labelled, case) == set()
    assert not permissions.visible_cases(labelled).exists()
