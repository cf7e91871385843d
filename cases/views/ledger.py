"""The leaders' pages: the ledger of key and difficult disputes, its Excel export, the
dashboard. Only station and street leaders (and administrators) see them. All three tolerate a
few seconds of lag: with a streaming replica they read from it (`cases/replica.py`)."""

import tempfile

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import permissions, selectors
from ..choices import LedgerReason
from ..export import write_ledger
from ..filters import CaseFilter
from ..models import ExportRecord
from ..paging import CappedPaginator
from ..replica import lag_tolerant
from ..warning import Warnings

PAGE_SIZE = 50


class LedgerFilter(CaseFilter):
    reason = django_filters.ChoiceFilter(
        label=gettext_lazy("why on the ledger"), method="filter_reason", choices=LedgerReason.choices)

    def filter_reason(self, queryset, name, value):
        return queryset.on_ledger(reason=value)


def leaders_only(user):
    """Station and street leaders (and administrators); everyone else gets 403."""
    if not permissions.may_lead(user):
        raise PermissionDenied


@lag_tolerant
def ledger(request):
    """重点疑难矛盾纠纷台账: escalated, major-risk and overdue cases of the leader's scope."""
    leaders_only(request.user)
    ledger_filter = LedgerFilter(request.GET, queryset=selectors.ledger(request.user), user=request.user, request=request)
    page = CappedPaginator(ledger_filter.qs.order_by("due_at", "id"), PAGE_SIZE,
                           counted=not ledger_filter.searching).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    now = timezone.now()
    return render(request, "cases/ledger.html", {
        "filter": ledger_filter, "page": page, "query": query.urlencode(),
        "rows": [(case, case.ledger_reason_labels(now)) for case in Warnings(now).mark(page.object_list)],
    })


@lag_tolerant
def ledger_export(request):
    """The ledger (as filtered on screen) as an Excel file, streamed from a temporary file."""
    leaders_only(request.user)
    ledger_filter = LedgerFilter(request.GET, queryset=selectors.ledger(request.user), user=request.user, request=request)
    out = tempfile.TemporaryFile()
    rows = write_ledger(ledger_filter.qs, out)
    out.seek(0)
    ExportRecord.objects.create(user=request.user, what=ExportRecord.What.LEDGER, rows=rows,
                                filters=_filters_of(request, ledger_filter), ip_address=request.META.get("REMOTE_ADDR"))
    name = _("ledger") + f"-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def _filters_of(request, ledger_filter) -> dict:
    """The filter the export was made with, for the export record: the filter's own fields
    only, as typed (without NUL characters, which PostgreSQL's jsonb refuses), cut short."""
    return {key: [v.replace("\x00", "")[:200] for v in request.GET.getlist(key)]
            for key in ledger_filter.form.fields if key in request.GET}


@lag_tolerant
def dashboard(request):
    """The leaders' dashboard: every number links to the list behind it."""
    leaders_only(request.user)
    return render(request, "cases/dashboard.html", {"d": selectors.dashboard(request.user)})
