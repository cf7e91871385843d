from django.conf import settings
from django.shortcuts import render


def locked_out(request, response=None, credentials=None):
    """django-axes lockout page: says plainly why and for how long (HTTP 429)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
