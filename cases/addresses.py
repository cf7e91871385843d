"""Addresses as the repeat-dispute radar compares them: the same building and unit.

"栖凤路 88号 3幢2单元501室", "栖凤路88号3栋2单元602" and "栖凤路８８号三栋二单元" are one stairwell: the
key keeps the street, the number, the building and the unit, and drops the flat, spaces,
punctuation, full-width digits and the words people use for a building. Stored beside each
address (Case.address_key, Incident.address_key) so the radar is an indexed equality.
"""

import re
import unicodedata

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_SMALL_NUMBER = re.compile(r"([零〇一二两三四五六七八九十]{1,3})(?=[号栋单元楼幢座弄巷])")
_BUILDING_WORDS = re.compile(r"(号楼|幢|座|栋楼)")
_NOISE = re.compile(r"[\s,，.。、;；:：\-—_()（）\[\]【】#]+")
# Where the building-and-unit part ends, most precise first.
_CUTS = (re.compile(r"^.*?\d+单元"), re.compile(r"^.*?\d+栋"), re.compile(r"^.*?\d+号"))


def _chinese_number(text: str) -> str:
    """三 -> 3, 十二 -> 12, 二十 -> 20 (the small numbers of buildings and units)."""
    if "十" not in text:
        return "".join(str(_NUMERALS[c]) for c in text)
    tens, _ten, ones = text.partition("十")
    return str((_NUMERALS.get(tens, 1) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0))


def address_key(address: str) -> str:
    """The comparable part of an address: up to the unit (单元), else the building (栋), else the
    house number (号); the whole cleaned address when it has none of them. Empty for empty."""
    text = unicodedata.normalize("NFKC", address or "").strip()
    if not text:
        return ""
    text = _NOISE.sub("", text)
    text = _SMALL_NUMBER.sub(lambda m: _chinese_number(m.group(1)), text)
    text = _BUILDING_WORDS.sub("栋", text)
    for cut in _CUTS:
        found = cut.match(text)
        if found:
            return found.group(0)[:255]
    return text[:255]
