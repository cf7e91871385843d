"""The roles of the app. A role is held on a place (grids/access.py): the object permission
that puts someone on a grid, station or street says both where and as what. Groups with these
names (created by a data migration) label accounts for display and for choosing accounts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WORKER = "community_worker", _("Community worker")
    OFFICER = "community_police", _("Community police officer")
    AUXILIARY = "auxiliary_police", _("Auxiliary police")
    STATION_LEADER = "station_leader", _("Station leader")
    STREET_LEADER = "street_leader", _("Street leader")
    DISTRICT_LEADER = "district_leader", _("District mediation centre")
    BUREAU_LEADER = "bureau_leader", _("District police bureau")
    MEDIATOR = "mediator", _("Mediator")
    ADMIN = "administrator", _("Administrator")
    DEPARTMENT = "department_contact", _("Department contact")


POLICE = frozenset({Role.OFFICER, Role.AUXILIARY})
LEADERS = frozenset({Role.STATION_LEADER, Role.STREET_LEADER, Role.DISTRICT_LEADER, Role.BUREAU_LEADER})
