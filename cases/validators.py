import re

from django.core.exceptions import ValidationError
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
