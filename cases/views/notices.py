"""The notification centre: the bell's count (polled by htmx), the list with filters, opening
a notice (marks it read), marking all read, and the choice of e-mail per kind."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import notices
from ..choices import NoticeKind
from ..models import NoticePreference, Notification

PAGE_SIZE = 30
HTMX_STOP_POLLING = 286


@login_not_required
def notification_count(request):
    """The bell's badge, re-fetched every few seconds by htmx. Once the session has ended the
    answer is htmx's "stop polling" (286) with the bell unchanged: never the sign-in page
    swapped into the top bar, never a redirect that would take the user off a form they are
    filling in (the next thing they send brings them to the sign-in page)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "cases/partials/bell.html", {"unread": notices.unread_count(request.user)})


def notifications(request):
    kind = request.GET.get("kind", "")
    unread_only = request.GET.get("unread") == "on"
    rows = Notification.objects.filter(recipient=request.user).select_related("case", "call")
    if kind in NoticeKind.values:
        rows = rows.filter(kind=kind)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/notifications.html", {
        "page": page, "kinds": NoticeKind.choices, "kind": kind, "unread_only": unread_only,
        "query": query.urlencode(),
    })


def notification_open(request, pk):
    """Open what the notice is about, and mark it read."""
    notice = get_object_or_404(Notification, pk=pk, recipient=request.user)  # others': 404
    notices.mark_read(user=request.user, notifications=[notice])
    if notice.case_id and notice.call_id:  # the case page, where whoever may answer the call can
        return redirect(f"{notice.case.get_absolute_url()}#call-{notice.call_id}")
    if notice.case_id:
        return redirect(notice.case)
    if notice.call_id:
        return redirect(f"{reverse('cases:calls')}#call-{notice.call_id}")
    return redirect("cases:notifications")


@require_POST
def notifications_read(request):
    count = notices.mark_read(user=request.user)
    messages.success(request, _("%(n)s notifications marked read.") % {"n": count})
    return redirect("cases:notifications")


class PreferencesForm(forms.Form):
    email = forms.MultipleChoiceField(
        label=gettext_lazy("Also send these by e-mail"), required=False, choices=NoticeKind.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))


def notification_settings(request):
    chosen = list(NoticePreference.objects.filter(user=request.user, email=True).values_list("kind", flat=True))
    form = PreferencesForm(request.POST or None, initial={"email": chosen})
    if request.method == "POST" and form.is_valid():
        notices.set_email_choices(user=request.user, kinds=form.cleaned_data["email"])
        messages.success(request, _("Your choices are saved."))
        return redirect("cases:notification_settings")
    return render(request, "cases/notification_settings.html", {
        "form": form, "has_email": bool(request.user.email)},
        status=400 if request.method == "POST" else 200)
