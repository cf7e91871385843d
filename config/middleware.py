import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core import signing
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from cases import replica

from .db import replica_configured


class DefaultLanguageMiddleware:
    """Activate the language the user chose (cookie), else Simplified Chinese.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the product
    is Chinese by default, whatever language the police post's browser happens to ship in.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class NoStoreForSignedInMiddleware:
    """Tell browsers and proxies to keep no copy of anything a signed-in user gets.

    Pages, exports and attachments carry personal data, and police posts share PCs: the back
    button or the disk cache must not show them to the next person at the keyboard. Static files
    never reach this middleware (whitenoise answers them earlier), so they stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # 5xx pages hold no personal data, and during a database outage asking who the user is
        # would only fail again.
        if response.status_code < 500 and request.user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: ...no-store, private; Expires
            response.headers["Pragma"] = "no-cache"  # for HTTP/1.0 caches
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that it leaves 5xx answers alone and restarts the
    idle clock at most once every FENGQIAO_SESSION_REFRESH_SECONDS.

    Django saves no session on a 5xx answer anyway, but first it reads the session again (for
    its expiry). When the database is down that read waits out the pool's timeout a second
    time, doubling the wait for the "try again" page.

    The idle timeout (SESSION_COOKIE_AGE) runs from the session's last save. Saving it on every
    request (SESSION_SAVE_EVERY_REQUEST) cost each page a BEGIN/UPDATE/COMMIT on django_session;
    instead a page whose request changed nothing in the session saves it only when the last
    save is older than the refresh interval, so a session still ends after the idle period,
    give or take that interval.
    """

    SEEN = "_fq_refreshed_at"

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.modified and not session.is_empty():
            now = int(time.time())
            if now - session.get(self.SEEN, 0) >= settings.FENGQIAO_SESSION_REFRESH_SECONDS:
                session[self.SEEN] = now  # marks it modified: saved with a fresh expiry
        return super().process_response(request, response)


class ReadYourWritesMiddleware:
    """Whoever has just written reads from the primary, lag-tolerant pages included.

    With a streaming replica (DATABASE_REPLICA_URL), a leader who records a decision and opens
    the ledger a second later must see it there, though the replica may be a few seconds behind.
    So a write request (anything but GET, HEAD, OPTIONS, TRACE) by a signed-in user leaves a
    signed cookie with its time, and every request within FENGQIAO_READ_YOUR_WRITES_SECONDS of
    it, the write itself included, reads only from the primary (`cases.replica.primary_reads`).
    A cookie rather than the session: checking it needs no database, and it goes with the
    browser to whichever app server takes the next request. Forging it gains nothing: it can
    only send that browser's reads to the primary, or stop doing so.

    Without a replica it does nothing: no cookie, no marks.
    """

    COOKIE = "fq_wrote_at"
    SALT = "fengqiao.read-your-writes"
    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        window = settings.FENGQIAO_READ_YOUR_WRITES_SECONDS
        writes = request.method not in self.SAFE_METHODS
        with replica.primary_reads(writes or self._wrote_within(request, window)):
            response = self.get_response(request)
        if writes and response.status_code < 500 and request.user.is_authenticated:
            response.set_signed_cookie(
                self.COOKIE, str(time.time()), salt=self.SALT, max_age=window, httponly=True,
                secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response

    def _wrote_within(self, request, window: int) -> bool:
        try:
            wrote_at = float(request.get_signed_cookie(self.COOKIE, salt=self.SALT))
        except (KeyError, signing.BadSignature, ValueError):
            return False
        return time.time() - wrote_at < window  # (another server's clock a little ahead: still recent)
