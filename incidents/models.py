"""110 incidents (接处警 records) imported from the dispatch system's export, and the imports.

An incident belongs to the police grid in its 责任区 column and is seen by place like a case
(incidents/permissions.py). It becomes a case in one step, or is closed as handled on the spot.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.display import ChoiceDisplay
from grids.models import PoliceGrid

USER = settings.AUTH_USER_MODEL


class IncidentStatus(models.TextChoices):
    NEW = "new", _("Not yet dealt with")
    CASE = "case", _("Became a case")
    ON_SPOT = "on_spot", _("Handled on the spot")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked: waiting for confirmation")
    REJECTED = "rejected", _("Bad rows: nothing imported")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


def import_path(instance, filename):
    # Never reuse the uploaded name on disk: it may contain anything.
    import uuid
    from pathlib import Path

    return f"imports/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ImportBatch(ChoiceDisplay, models.Model):
    """One uploaded dispatch export: checked in the background, shown as a preview, imported on
    confirmation; its progress is what the page shows while the worker runs."""

    file = models.FileField(_("file"), upload_to=import_path)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    new_rows = models.PositiveIntegerField(_("new incidents"), default=0)
    known_rows = models.PositiveIntegerField(_("already imported"), default=0)
    # [{"line": 7, "number": "…", "reason": "…"}], the first few hundred; bad_rows counts them all
    errors = models.JSONField(_("bad rows"), default=list, blank=True)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    # police grids the file names: the preview is shown only to those who may see all of them
    police_grid_ids = models.JSONField(_("police grids"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident import")
        verbose_name_plural = _("incident imports")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("incidents:import_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.IMPORTING)


class Incident(ChoiceDisplay, models.Model):
    """One 110 dispatch record. The incident number is the key: re-imports never duplicate."""

    number = models.CharField(_("incident number"), max_length=40, unique=True)
    reported_at = models.DateTimeField(_("reported at"))
    caller_name = models.CharField(_("caller"), max_length=100, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255)
    address_key = models.CharField(_("building and unit"), max_length=255, blank=True, editable=False)
    kind = models.CharField(_("incident type"), max_length=50, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    police_grid = models.ForeignKey(PoliceGrid, on_delete=models.PROTECT, related_name="incidents",
                                    verbose_name=_("police grid"))
    outcome = models.TextField(_("dispatch result"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IncidentStatus.choices,
                              default=IncidentStatus.NEW)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents",
                             verbose_name=_("case"))
    handled_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("dealt with by"))
    handled_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    handled_note = models.TextField(_("how it was handled"), blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents",
                              verbose_name=_("import"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("110 incident")
        verbose_name_plural = _("110 incidents")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["police_grid", "-reported_at"], name="incident_grid_time"),
            models.Index(fields=["address_key", "reported_at"], name="incident_address_time"),
            models.Index(fields=["caller_phone", "reported_at"], name="incident_phone_time"),
            models.Index(fields=["status", "police_grid"], name="incident_status_grid"),
        ]

    def __str__(self):
        return f"{self.number} {self.address}"

    def get_absolute_url(self):
        return reverse("incidents:detail", args=[self.pk])
