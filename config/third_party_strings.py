"""Strings that Django and the third-party apps we use show on our pages but whose own
catalogues have no Simplified Chinese for (django-axes has no zh_Hans at all; Django 6.1's newer
strings are not in its zh_Hans yet). Listing them here puts them into our catalogue
(locale/zh_Hans, makemessages reads every .py file); LOCALE_PATHS is searched before every app's
own locale, so our translation is the one shown. Nothing imports this module.

When a package is upgraded and tests/test_chinese_everywhere.py finds a new English string that
the package marks for translation, add it here."""

from django.utils.translation import gettext_noop, pgettext_noop

DJANGO = (
    gettext_noop("- Select an option -"),  # Django 6.1's blank choice on every required select
    gettext_noop("Filter by %(field_name)s"),  # admin date hierarchy
    pgettext_noop("Task", "Ready"),
    pgettext_noop("Task", "Running"),
    pgettext_noop("Task", "Failed"),
    pgettext_noop("Task", "Successful"),
)

SIMPLE_HISTORY = (
    gettext_noop("Changes"),
)

AXES = (
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Cleaned up {count} expired access attempts."),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
)

DJANGO_TASKS_DB = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
)
