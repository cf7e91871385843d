"""Importing the 110 dispatch system's export: upload, the worker's check with its progress, the
preview or the bad rows, confirmation, the import's progress, the template workbook.

Officers and leaders only (403 for everyone else); a batch is opened by its uploader or an
administrator only (404 for the others: its existence is not revealed)."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import batches, importing
from ..forms import ImportForm
from ..models import ImportStatus
from ..permissions import may_import

HTMX_STOP_POLLING = 286
RECENT = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _importers_only(user):
    if not may_import(user):
        raise PermissionDenied


def _get_batch_for(user, pk):
    """The batch if the user may open it: 403 for non-importers, 404 for other people's."""
    _importers_only(user)
    batch = importing.visible_batches(user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def _status_context(request, batch, *, just_finished=False) -> dict:
    shows_rows = importing.may_see_preview(request.user, batch)
    return {
        "batch": batch, "S": ImportStatus, "just_finished": just_finished,
        "percent": min(batch.percent, 100) if batch.total_rows else None,
        "shows_rows": shows_rows,
        "columns": importing.COLUMNS,
        "errors": [(e["line"], e["number"], importing.describe(e["reasons"])) for e in batch.errors],
        "more_errors": max(batch.bad_rows - len(batch.errors), 0),
    }


@require_http_methods(["GET", "POST"])
def import_start(request):
    """The upload form, and the user's recent imports."""
    _importers_only(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = batches.start_batch(upload=form.cleaned_data["file"], actor=request.user)
        return redirect(batch)
    recent = importing.visible_batches(request.user).filter(uploaded_by=request.user)[:RECENT]
    return render(request, "incidents/import_start.html",
                  {"form": form, "recent": recent, "columns": importing.COLUMNS},
                  status=400 if request.method == "POST" else 200)


@require_GET
def import_template(request):
    """The template workbook: the header row the import reads."""
    _importers_only(request.user)
    return FileResponse(io.BytesIO(importing.template_bytes()), as_attachment=True, content_type=XLSX,
                        filename=_("110 incident import template") + ".xlsx")


@require_GET
def import_detail(request, pk):
    """One import: its progress while the worker runs, then the preview or the bad rows."""
    batch = _get_batch_for(request.user, pk)
    return render(request, "incidents/import_detail.html", _status_context(request, batch))


@login_not_required
@require_GET
def import_progress(request, pk):
    """The status block, polled by htmx while the worker runs. Once the session has ended the
    answer is htmx's "stop polling" (286), never the sign-in page swapped into the page."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    batch = _get_batch_for(request.user, pk)
    return render(request, "incidents/partials/import_status.html",
                  _status_context(request, batch, just_finished=not batch.is_running))


@require_POST
def import_confirm(request, pk):
    """Confirm a checked import: the worker imports it. A second confirmation changes nothing."""
    batch = _get_batch_for(request.user, pk)
    if batches.confirm_batch(batch=batch, actor=request.user):
        messages.success(request, _("Confirmed: the incidents are being imported."))
    elif batch.status in (ImportStatus.IMPORTING, ImportStatus.DONE):
        messages.info(request, _("This file has already been confirmed; it is imported once."))
    else:
        messages.error(request, _("This file cannot be imported in its present state."))
    return redirect(batch)
