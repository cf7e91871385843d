import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.test import RequestFactory

from cases.models import CaseEvent
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_an_event_cannot_be_edited_or_deleted_through_the_orm(world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    event = case.events.get()
    event.note = "篡改"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_the_admin_offers_no_add_change_or_delete(world):
    request = RequestFactory().get("/admin/")
    request.user = world.admin
    model_admin = site._registry[CaseEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_on_the_timeline(world):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    case = make_case(grid=world.grid1, actor=world.worker1)
    for sql in ("UPDATE cases_caseevent SET note = 'x' WHERE case_id = %s",
                "DELETE FROM cases_caseevent WHERE case_id = %s"):
        with pytest.raises((IntegrityError, InternalError, ProgrammingError), match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [case.pk])
    assert case.events.count() == 1
    with pytest.raises(Exception, match="append-only"):
        with transaction.atomic():
            CaseEvent.objects.filter(case=case).update(note="x")
