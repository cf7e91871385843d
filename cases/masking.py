"""Masking of personal data for people whose role does not need it in full."""


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678; landlines keep their area code and last four digits."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    """350102199001011234 -> 3501**********1234 (birth date hidden)."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
