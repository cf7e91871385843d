"""The Chinese catalogue is complete and the compiled file matches it."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated and not fuzzy, (untranslated, fuzzy)


def test_the_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {(e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in mo}
    source = {
        (e.msgid, e.msgstr or e.msgstr_plural.get(0, ""))
        for e in po.translated_entries()
    }
    assert source <= compiled, "run `make messages` (or compile the catalogue) again"
