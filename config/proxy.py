"""The client's address, also behind the reverse proxy the README documents."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """REMOTE_ADDR; behind FENGQIAO_TRUSTED_PROXIES reverse proxies, the client they saw.

    Each proxy appends the address it got the request from to X-Forwarded-For (nginx:
    `$proxy_add_x_forwarded_for`), so with n trusted proxies the n-th entry from the right is
    the client. Entries further left were sent by the client itself and can be forged, so they
    are never used; without trusted proxies the header is ignored for the same reason.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.FENGQIAO_TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote  # did not come through the proxies (e.g. straight to gunicorn)
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote  # not an address: a misconfigured proxy count; never store junk


class ClientAddressMiddleware:
    """Put the client's address (as `client_ip` reads it) into REMOTE_ADDR for everything after
    it: disclosure and export records, the sign-in lockout, the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_ip(request)
        if address:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
