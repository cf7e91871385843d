from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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
    """Django's session middleware, except that it leaves 5xx answers alone.

    Django saves no session on a 5xx answer anyway, but first it reads the session again (for
    its expiry). When the database is down that read waits out the pool's timeout a second
    time, doubling the wait for the "try again" page.
    """

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        return super().process_response(request, response)
