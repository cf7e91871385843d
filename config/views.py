"""The app's own error pages (wired in config/urls.py and CSRF_FAILURE_VIEW) and the lockout page.

With DEBUG=0 Django would otherwise answer some errors with a bare English page ("Bad Request
(400)"). Pages that may be shown while the database is down (500, 503) are plain templates
rendered without the request's context processors, which would query the database again.
"""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

# Django raises these (as a 400) when a form is over DATA_UPLOAD_MAX_* limits.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
# What a restarting, failing-over or unreachable database raises (psycopg_pool's PoolTimeout
# is an OperationalError too); all are worth "try again in a moment".
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def caused_by_database(exception):
    """True when a database failure is behind `exception`, also when Django wrapped it: a
    session that cannot be saved becomes SessionInterrupted (a 400) from an UpdateError."""
    while exception is not None:
        if isinstance(exception, DATABASE_DOWN):
            return True
        exception = exception.__cause__ or exception.__context__
    return False


def database_unavailable():
    """503 "try again" page. Plain: it must not need the database it reports missing."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# The 400/403/404 pages extend base.html (navigation, language switch), whose forms need a
# CSRF token even when the CSRF middleware did not run for this request.
@requires_csrf_token
def bad_request(request, exception):
    if caused_by_database(exception):
        return database_unavailable()
    if isinstance(exception, TOO_LARGE):
        return request_too_large(request)
    return render(request, "400.html", status=400)


@requires_csrf_token
def request_too_large(request):
    """413: over Django's DATA_UPLOAD_MAX_* limits, or (via nginx's error_page) its
    client_max_body_size."""
    return render(request, "413.html", status=413)


@requires_csrf_token
def permission_denied(request, exception):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls the 500 handler for every unhandled exception, views and middleware alike
    # (a session read during a PostgreSQL restart fails in middleware, where no
    # process_exception hook runs), while that exception is being handled: one place for 503.
    if caused_by_database(sys.exception()):
        return database_unavailable()
    return HttpResponseServerError(render_to_string("500.html"))


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: usually a page left open too long."""
    return render(request, "403.html", {"csrf_failed": True}, status=403)


def locked_out(request, response=None, credentials=None):
    """django-axes lockout page: says plainly why and for how long (HTTP 429)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
