"""The map of responsibility: streets, communities and their grids; police stations and their
grids; which police grid covers which community grids. Who works where is not stored here but
as django-guardian object permissions on these objects (direct foreign-key tables below)."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class District(models.Model):
    """区/县: above the streets; its mediation centre (矛调中心) takes what a street cannot solve."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]
        permissions = [("lead_district", _("Leads this district's mediation centre"))]

    def __str__(self):
        return self.name


class PoliceBureau(models.Model):
    """公安分局: the district police bureau above the police stations."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="bureaus", verbose_name=_("district"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("district police bureau")
        verbose_name_plural = _("district police bureaus")
        ordering = ["name"]
        permissions = [("lead_policebureau", _("Leads this district police bureau"))]

    def __str__(self):
        return self.name


class Street(models.Model):
    """街道: the street office; its short name prefixes case numbers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="streets", verbose_name=_("district"))
    prefix = models.CharField(
        _("case number prefix"), max_length=20, unique=True, help_text=_("e.g. 栖凤")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name"]
        permissions = [("lead_street", _("Leads this street"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("grids:street_map", args=[self.pk])


class Community(models.Model):
    """社区: a residents' community under a street."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    name = models.CharField(_("name"), max_length=100)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["street", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="community_unique_name")
        ]

    def __str__(self):
        return self.name


class CommunityGrid(models.Model):
    """网格: the smallest unit of responsibility; a case belongs to exactly one."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("community grid")
        verbose_name_plural = _("community grids")
        ordering = ["code"]
        permissions = [("work_in_communitygrid", _("Works in this community grid"))]

    def __str__(self):
        return f"{self.community.name} · {self.name}"

    def get_absolute_url(self):
        return reverse("grids:grid_detail", args=[self.pk])


class PoliceStation(models.Model):
    """派出所."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    bureau = models.ForeignKey(PoliceBureau, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="stations", verbose_name=_("district police bureau"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("police station")
        verbose_name_plural = _("police stations")
        ordering = ["name"]
        permissions = [("lead_policestation", _("Leads this police station"))]

    def __str__(self):
        return self.name


class PoliceGrid(models.Model):
    """警格 / 警务区: the beat of one community police officer, run from a police room or post."""

    station = models.ForeignKey(
        PoliceStation,
        on_delete=models.PROTECT,
        related_name="police_grids",
        verbose_name=_("police station"),
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)
    post_name = models.CharField(
        _("police room or post"), max_length=100, help_text=_("e.g. 栖凤社区警务室")
    )
    community_grids = models.ManyToManyField(
        CommunityGrid,
        through="GridLink",
        related_name="police_grids",
        verbose_name=_("community grids covered"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("police grid")
        verbose_name_plural = _("police grids")
        ordering = ["code"]
        permissions = [
            ("police_policegrid", _("Polices this grid")),
            ("assist_policegrid", _("Assists on this grid (auxiliary police)")),
        ]

    def __str__(self):
        return self.name


class GridLink(models.Model):
    """A police grid covers a community grid (网格与警格融合)."""

    police_grid = models.ForeignKey(
        PoliceGrid, on_delete=models.CASCADE, related_name="links", verbose_name=_("police grid")
    )
    community_grid = models.ForeignKey(
        CommunityGrid,
        on_delete=models.CASCADE,
        related_name="police_links",
        verbose_name=_("community grid"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("grid link")
        verbose_name_plural = _("grid links")
        constraints = [
            models.UniqueConstraint(
                fields=["police_grid", "community_grid"], name="gridlink_unique_pair"
            )
        ]

    def __str__(self):
        return f"{self.police_grid} → {self.community_grid}"


# Direct foreign-key object-permission tables (django-guardian): indexed integer joins instead
# of the generic table's text object_pk. These rows ARE the record of who works where.


class StreetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a street")
        verbose_name_plural = _("roles on streets")


class PoliceStationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PoliceStation, on_delete=models.CASCADE, verbose_name=_("police station"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a police station")
        verbose_name_plural = _("roles on police stations")


class CommunityGridUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CommunityGrid, on_delete=models.CASCADE, verbose_name=_("community grid"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a community grid")
        verbose_name_plural = _("roles on community grids")


class PoliceGridUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PoliceGrid, on_delete=models.CASCADE, verbose_name=_("police grid"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a police grid")
        verbose_name_plural = _("roles on police grids")


class DistrictUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(District, on_delete=models.CASCADE, verbose_name=_("district"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a district")
        verbose_name_plural = _("roles on districts")


class PoliceBureauUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PoliceBureau, on_delete=models.CASCADE,
                                       verbose_name=_("district police bureau"))
    history = HistoricalRecords()  # who was put on / taken off which place, and when

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("role on a district police bureau")
        verbose_name_plural = _("roles on district police bureaus")
