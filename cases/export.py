"""Excel export of the ledger (重点疑难矛盾纠纷台账) for the joint meeting.

xlsxwriter in constant-memory mode with the cases streamed in chunks, so memory does not grow
with the number of rows. Times are Excel dates in local time (Asia/Shanghai), so a leader can
sort and filter by them; everything else is written as text, and text that a spreadsheet would
read as a formula (= + - @) is neutralised with a leading apostrophe. Phone numbers are masked
and ID numbers left out: an export leaves the system, and nobody's role needs them on paper."""

from datetime import datetime
from itertools import batched

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Category, PartyRole, Risk, State, Tier
from .masking import mask_phone
from .models import Party

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000
DATE_FORMAT = "yyyy-mm-dd hh:mm"  # read the same way by Excel, WPS and LibreOffice in Chinese


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def excel_time(value) -> datetime | None:
    # Excel has no time zones: the local wall-clock time, without its zone, to the second.
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value else None


def _labels(choices) -> dict[str, str]:
    # Translated once per export: get_FOO_display() per cell costs more than the rest together.
    return {value: str(label) for value, label in choices.choices}


def columns():
    category, state, risk, tier, role = (
        _labels(c) for c in (Category, State, Risk, Tier, PartyRole))
    return [
        (_("case number"), 18, lambda c, now: c.number),
        (_("title"), 30, lambda c, now: c.title),
        (_("category"), 12, lambda c, now: category[c.category]),
        (_("community grid"), 20, lambda c, now: f"{c.grid.community.name} {c.grid.name}"),
        (_("state"), 10, lambda c, now: state[c.state]),
        (_("risk level"), 8, lambda c, now: risk[c.risk]),
        (_("tier"), 12, lambda c, now: tier.get(c.tier, "")),
        (_("lead handler"), 10, lambda c, now: c.lead_handler.get_full_name() if c.lead_handler else ""),
        (_("when it was reported"), 17, lambda c, now: excel_time(c.reported_at)),
        (_("due"), 17, lambda c, now: excel_time(c.due_at)),
        (_("why on the ledger"), 16, lambda c, now: c.ledger_reason_labels(now)),
        (_("reason for escalation"), 30, lambda c, now: c.escalation_reason),
        (_("referred to"), 16, lambda c, now: c.referred_to),
        (_("parties"), 36, lambda c, now: "；".join(
            f"{name}（{role[r]}）{mask_phone(phone)}" for name, r, phone in c.party_rows)),
        (_("address"), 30, lambda c, now: c.address),
        (_("description"), 50, lambda c, now: c.description),
    ]


def write_ledger(queryset, out) -> int:
    """Write the cases of `queryset` (already limited to what the user may see) to `out`, a path
    or a binary file. Returns the number of rows."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("Ledger")[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = workbook.add_format({"num_format": DATE_FORMAT, "align": "left"})
    cols = columns()
    for index, (title, width, _getter) in enumerate(cols):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, str(title), bold)
    sheet.freeze_panes(1, 0)
    now = timezone.now()
    rows = 0
    cases = queryset.select_related("grid__community", "lead_handler").order_by("due_at", "id")
    for chunk in batched(cases.iterator(chunk_size=CHUNK), CHUNK):
        # Parties as plain tuples, one query a chunk: prefetch_related would tie each party and
        # case in a reference cycle, and the garbage would pile up with the number of rows.
        parties = {}
        for case_id, *party in (Party.objects.filter(case_id__in=[c.pk for c in chunk])
                                .order_by("id").values_list("case_id", "name", "role", "phone")):
            parties.setdefault(case_id, []).append(party)
        for case in chunk:
            case.party_rows = parties.get(case.pk, [])
            rows += 1
            for index, (_title, _width, getter) in enumerate(cols):
                value = getter(case, now)
                if isinstance(value, datetime):
                    sheet.write_datetime(rows, index, value, date)
                elif value is not None:
                    sheet.write_string(rows, index, neutralise(value))
    workbook.close()
    return rows

