import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def validate_phone(value: str) -> None:
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise ValidationError(
            _("Enter an 11-digit mobile number or a landline such as 0571-88886666."),
            code="phone",
        )


def id_checksum_ok(value: str) -> bool:
    """The mainland resident ID's last character is a check digit over the first 17."""
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == value[17].upper()


def validate_id_number(value: str) -> None:
    if not re.fullmatch(r"\d{17}[\dXx]", value) or not id_checksum_ok(value):
        raise ValidationError(
            _("Enter a valid 18-character resident ID number (check the last character)."),
            code="id_number",
        )


# Plausible dates: a form refuses a date far in the past or future (a mistyped year) with a
# message next to the field, instead of storing it or overflowing a due-date computation.
REPORTED_YEARS_BACK = 10   # a dispute logged today was reported at most this long ago
DEADLINE_DAYS_AHEAD = 366  # deadlines within a year
FULFIL_YEARS_AHEAD = 5     # an agreement fulfilled within five years of signing
CLOCK_SKEW = timedelta(minutes=5)


def _show(value) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def check_between(value, *, earliest=None, latest=None) -> None:
    """Refuse `value` (a date or an aware datetime) outside [earliest, latest]."""
    if value is None:
        return
    if earliest is not None and value < earliest:
        raise ValidationError(_("This is too early: the earliest allowed is %(when)s.") % {"when": _show(earliest)},
                              code="too_early")
    if latest is not None and value > latest:
        raise ValidationError(_("This is too late: the latest allowed is %(when)s.") % {"when": _show(latest)},
                              code="too_late")


def years_before(moment, years: int):
    return moment - timedelta(days=365 * years + years // 4)


def deadline_bounds() -> dict:
    today = timezone.localdate()
    return {"earliest": today, "latest": today + timedelta(days=DEADLINE_DAYS_AHEAD)}
