from django.utils.functional import SimpleLazyObject

from . import notices


def bell(request):
    """The unread count for the bell in the top bar, only if the page shows it: read with the
    user (cases.backends), else one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": SimpleLazyObject(lambda: notices.unread_count(user))}
