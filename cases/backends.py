"""The sign-in backend: Django's ModelBackend, except that the user it loads for each page
brings the bell's unread count with it, read in the same query rather than one more a page."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import notices


class UserWithBellBackend(ModelBackend):
    """Listed in AUTHENTICATION_BACKENDS instead of ModelBackend, so sessions name it and
    `get_user` below loads their user. Signing in, permissions and the admin are ModelBackend's.
    A session begun before it named ModelBackend, no longer listed: that person signs in again."""

    def get_user(self, user_id):
        users = notices.with_unread_count(get_user_model()._default_manager.all())
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
