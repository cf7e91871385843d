"""The sign-in backend: Django's ModelBackend, except that the user it loads for each page
brings the bell's unread count with it, read in the same query rather than one more a page, and
that query is compiled once per process (grids/compiled.py): building and compiling it cost every
page 1.3 ms of Python."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from grids.compiled import Compiled

from . import notices


def _user_with_bell(user_id):
    return notices.with_unread_count(get_user_model()._default_manager.filter(pk=user_id))


_USERS = Compiled(get_user_model(), _user_with_bell)


class UserWithBellBackend(ModelBackend):
    """Listed in AUTHENTICATION_BACKENDS instead of ModelBackend, so sessions name it and
    `get_user` below loads their user. Signing in, permissions and the admin are ModelBackend's.
    A session begun before it named ModelBackend, no longer listed: that person signs in again."""

    def get_user(self, user_id):
        found = _USERS.objects(user_id=user_id)
        return found[0] if found and self.user_can_authenticate(found[0]) else None
