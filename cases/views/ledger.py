"""The leaders' pages: the ledger of key and difficult disputes, its Excel export, the
dashboard. Only station and street leaders (and administrators) see them."""

import tempfile

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids import access

from .. import selectors
from ..choices import OPEN_STATES, Risk, State
from ..closing import why_on_ledger
from ..export import write_ledger
from ..filters import CaseFilter

PAGE_SIZE = 50


class LedgerFilter(CaseFilter):
    reason = django_filters.ChoiceFilter(
        label=gettext_lazy("why on the ledger"), method="filter_reason",
        choices=[("escalated", gettext_lazy("Escalated or referred")),
                 ("major", gettext_lazy("Major risk")), ("overdue", gettext_lazy("Overdue"))])

    def filter_reason(self, queryset, name, value):
        if value == "escalated":
            return queryset.filter(state__in=[State.ESCALATED, State.REFERRED])
        if value == "major":
            return queryset.filter(risk=Risk.MAJOR, state__in=OPEN_STATES)
        return queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())


def leaders_only(user):
    """Station and street leaders (and administrators); everyone else gets 403."""
    if not access.has_role(user, *access.LEDGER_ROLES):
        raise PermissionDenied


def ledger(request):
    """重点疑难矛盾纠纷台账: escalated, major-risk and overdue cases of the leader's scope."""
    leaders_only(request.user)
    ledger_filter = LedgerFilter(request.GET, queryset=selectors.ledger(request.user), user=request.user)
    page = Paginator(ledger_filter.qs.order_by("due_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    now = timezone.now()
    return render(request, "cases/ledger.html", {
        "filter": ledger_filter, "page": page, "query": query.urlencode(),
        "rows": [(case, why_on_ledger(case, now)) for case in page.object_list],
    })


def ledger_export(request):
    """The ledger (as filtered on screen) as an Excel file, streamed from a temporary file."""
    leaders_only(request.user)
    ledger_filter = LedgerFilter(request.GET, queryset=selectors.ledger(request.user), user=request.user)
    out = tempfile.TemporaryFile()
    write_ledger(ledger_filter.qs, out)
    out.seek(0)
    name = _("ledger") + f"-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def dashboard(request):
    """The leaders' dashboard: every number links to the list behind it."""
    leaders_only(request.user)
    return render(request, "cases/dashboard.html", {"d": selectors.dashboard(request.user)})
