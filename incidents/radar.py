"""The repeat-dispute radar, and the repeat list (重复警情) it feeds.

The radar: for a case (its parties' phones and ID numbers, its building and unit) or for an
intake form being filled in, the other cases and 110 incidents of the last
`WarningSettings.radar_days` days that share a phone or an ID number (whole values only) or the
same building and unit (cases/addresses.py). The repeat list: the buildings and phones with at
least `WarningSettings.repeat_threshold` records (incidents and cases) in that window.

Only what the user may see is ever matched or counted (cases.permissions.visible_cases,
incidents.permissions.visible_incidents). A phone or ID number typed at intake is matched only
where the user could see it in full anyway (a case they may reveal, an incident whose caller
they see) and a match on a case is logged like a search by number: the radar must not complete
a masked number digit by digit. Each read costs a fixed number of queries, whatever the number
of records.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import batched

import xlsxwriter
from django.db import connections, models
from django.db.models import BooleanField, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import permissions as case_permissions
from cases import workflow
from cases.addresses import address_key
from cases.choices import OPEN_STATES
from cases.export import DATE_FORMAT, excel_time, neutralise
from cases.masking import mask_phone
from cases.models import Case, Party, WarningSettings
from cases.validators import LANDLINE, MOBILE

from . import permissions

ROWS = 10  # records shown per kind; the count says how many there are in all
RECORDS_PER_REPEAT = 10
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
MAX_VALUES = 20  # phones or ID numbers taken from one request


class Why:
    """Why a record matched, declared once with its words."""

    PHONE, ID_NUMBER, BUILDING = "phone", "id_number", "building"
    LABELS = {
        PHONE: gettext_lazy("same phone"),
        ID_NUMBER: gettext_lazy("same ID number"),
        BUILDING: gettext_lazy("same building and unit"),
    }


@dataclass
class Hit:
    record: object  # a Case or an Incident
    why: list[str]

    @property
    def reasons(self) -> list[str]:
        return [str(Why.LABELS[w]) for w in self.why]


@dataclass
class Radar:
    days: int
    asked: bool = False  # was there anything to look for?
    cases: list[Hit] = field(default_factory=list)
    case_count: int = 0
    incidents: list[Hit] = field(default_factory=list)
    incident_count: int = 0
    sees_incidents: bool = False

    @property
    def more_cases(self) -> int:
        return self.case_count - len(self.cases)

    @property
    def more_incidents(self) -> int:
        return self.incident_count - len(self.incidents)

    @property
    def found(self) -> bool:
        return bool(self.case_count or self.incident_count)


def window_days() -> int:
    return WarningSettings.current().radar_days


def whole_phones(values) -> list[str]:
    """The whole phone numbers among `values` (an 11-digit mobile or a landline), at most 20."""
    found = {v.strip() for v in values if v and (MOBILE.match(v.strip()) or LANDLINE.match(v.strip()))}
    return sorted(found)[:MAX_VALUES]


def whole_id_numbers(values) -> list[str]:
    """The whole 18-character ID numbers among `values`, with both spellings of a final X."""
    found = {v.strip().upper() for v in values if v and ID_NUMBER.match(v.strip())}
    return sorted(found | {v.lower() for v in found})[: 2 * MAX_VALUES]


def _search(*, user, key, phones, id_numbers, since, case_scope, incident_phone_scope,
            exclude_case=None) -> tuple[list[Hit], int, list[Hit], int, list[Party]]:
    """The matching cases and incidents the user may see (`case_scope` further limits the cases
    a phone or ID number may match in; `incident_phone_scope` the incidents a phone may): the
    hits, the counts, and the parties found by number (for the disclosure log)."""
    case_hits, case_count = [], 0
    numbers = Q()
    if phones:
        numbers |= Q(phone__in=phones)
    if id_numbers:
        numbers |= Q(id_number__in=id_numbers)
    matched = Q(address_key=key) if key else Q()
    if numbers:
        matched |= Q(id__in=Party.objects.filter(numbers, case__in=case_scope).values("case_id"))
    matching_parties = []
    if matched:
        cases = case_permissions.visible_cases(user).filter(matched, reported_at__gte=since)
        if exclude_case is not None:
            cases = cases.exclude(pk=exclude_case.pk)
        case_count = cases.count()
        rows = list(cases.select_related("grid__community").order_by("-reported_at", "-id")[:ROWS]) if case_count else []
        if rows and numbers:
            matching_parties = list(Party.objects.filter(
                numbers, case_id__in=[c.pk for c in rows], case__in=case_scope).only(
                "id", "case_id", "phone", "id_number"))
        by_case = {c.pk: c for c in rows}
        for party in matching_parties:
            party.case = by_case[party.case_id]
        for case in rows:
            own = [p for p in matching_parties if p.case_id == case.pk]
            why = [reason for reason, hit in (
                (Why.PHONE, any(p.phone in phones for p in own)),
                (Why.ID_NUMBER, any(p.id_number in id_numbers for p in own)),
                (Why.BUILDING, bool(key) and case.address_key == key)) if hit]
            case_hits.append(Hit(case, why))
    incident_hits, incident_count = [], 0
    if permissions.may_see_incidents(user):
        by_phone = Q(caller_phone__in=phones, pk__in=incident_phone_scope.values("pk")) if phones else Q()
        matched = (Q(address_key=key) if key else Q()) | by_phone
        if matched:
            incidents = permissions.visible_incidents(user).filter(matched, reported_at__gte=since).annotate(
                phone_hit=ExpressionWrapper(by_phone if phones else Value(False), output_field=BooleanField()))
            if exclude_case is not None:  # the incident the case was made from is no repeat of it
                incidents = incidents.exclude(case_id=exclude_case.pk)
            incident_count = incidents.count()
            rows = list(incidents.select_related("police_grid").order_by("-reported_at", "-id")[:ROWS]) if incident_count else []
            for incident in rows:
                why = [Why.PHONE] if incident.phone_hit else []
                if key and incident.address_key == key:
                    why.append(Why.BUILDING)
                incident_hits.append(Hit(incident, why))
    return case_hits, case_count, incident_hits, incident_count, matching_parties


def for_case(*, user, case) -> Radar:
    """The radar on a case page: records sharing a party's phone or ID number or the case's
    building and unit, reported since `radar_days` before the case (later ones too: a repeat
    after the case is as telling), the case itself and the incident it came from left out.
    `case` comes with its parties (cases.selectors.case_detail prefetches them)."""
    days = window_days()
    parties = list(case.parties.all())
    phones = whole_phones(p.phone for p in parties)
    id_numbers = whole_id_numbers(p.id_number for p in parties)
    key = case.address_key
    radar = Radar(days=days, asked=bool(key or phones or id_numbers),
                  sees_incidents=permissions.may_see_incidents(user))
    if not radar.asked:
        return radar
    since = min(case.reported_at, timezone.now()) - timedelta(days=days)
    radar.cases, radar.case_count, radar.incidents, radar.incident_count, _parties = _search(
        user=user, key=key, phones=phones, id_numbers=id_numbers, since=since,
        case_scope=case_permissions.visible_cases(user),
        incident_phone_scope=permissions.visible_incidents(user), exclude_case=case)
    return radar


def for_intake(*, user, address="", phones=(), id_numbers=(), ip_address=None) -> Radar:
    """The radar on the intake form, for what has been typed so far. A typed phone or ID number
    matches only cases the user may reveal and incidents whose caller they see in full; each
    party so found is logged as a search by number (cases.workflow.record_number_search)."""
    days = window_days()
    key = address_key(address)
    phones, id_numbers = whole_phones(phones), whole_id_numbers(id_numbers)
    radar = Radar(days=days, asked=bool(key or phones or id_numbers),
                  sees_incidents=permissions.may_see_incidents(user))
    if not radar.asked:
        return radar
    since = timezone.now() - timedelta(days=days)
    radar.cases, radar.case_count, radar.incidents, radar.incident_count, parties = _search(
        user=user, key=key, phones=phones, id_numbers=id_numbers, since=since,
        case_scope=case_permissions.revealable_cases(user),
        incident_phone_scope=permissions.caller_revealable_incidents(user))
    if parties:
        workflow.record_number_search(actor=user, parties=parties, ip_address=ip_address)
    return radar


# --- the repeat list ---------------------------------------------------------------------------

BY_ADDRESS, BY_PHONE = 0, 1
INCIDENT, CASE = 0, 1


@dataclass
class Repeat:
    """A building and unit, or a phone, with several records in the window."""

    by: int
    key: str
    incident_count: int
    case_count: int
    open_count: int
    incidents: list = field(default_factory=list)  # the newest few, filled for a page
    cases: list = field(default_factory=list)
    address: str = ""  # the building's address as last written

    @property
    def total(self) -> int:
        return self.incident_count + self.case_count

    @property
    def needs_triage(self) -> bool:
        """No open case deals with it: somebody should look at it."""
        return self.open_count == 0

    @property
    def by_phone(self) -> bool:
        return self.by == BY_PHONE

    @property
    def phone(self) -> str:
        return mask_phone(self.key) if self.by == BY_PHONE else ""

    @property
    def latest(self):
        times = [r.reported_at for r in (*self.incidents[:1], *self.cases[:1])]
        return max(times) if times else None


def _open_flag():
    return models.Case(When(state__in=OPEN_STATES, then=Value(1)), default=Value(0), output_field=IntegerField())


def _rows(queryset, *, by, key, kind, record, is_open, at):
    return queryset.order_by().annotate(
        r_by=Value(by, output_field=IntegerField()), r_key=F(key),
        r_kind=Value(kind, output_field=IntegerField()), r_rid=F(record), r_open=is_open, r_at=F(at),
    ).values_list("r_by", "r_key", "r_kind", "r_rid", "r_open", "r_at")


class Repeats:
    """The repeat list of `user`: a sliceable sequence (for django.core.paginator) of Repeat,
    the most records first. One query for the count, one for a page, three for a page's records.

    An incident that became a case counts once, as its case. A case counts once for a phone
    however many of its parties share it."""

    def __init__(self, *, user, days: int, threshold: int, now=None):
        self.user, self.days, self.threshold = user, days, max(1, threshold)
        self.since = (now or timezone.now()) - timedelta(days=days)
        self._count = None

    def _incidents(self):
        return permissions.visible_incidents(self.user).filter(reported_at__gte=self.since, case__isnull=True)

    def _cases(self):
        return case_permissions.visible_cases(self.user).filter(reported_at__gte=self.since)

    def _grouped_sql(self) -> tuple[str, list]:
        incidents, cases = self._incidents(), self._cases()
        parts = [
            _rows(incidents.exclude(address_key=""), by=BY_ADDRESS, key="address_key", kind=INCIDENT,
                  record="id", is_open=Value(0, output_field=IntegerField()), at="reported_at"),
            _rows(cases.exclude(address_key=""), by=BY_ADDRESS, key="address_key", kind=CASE,
                  record="id", is_open=_open_flag(), at="reported_at"),
            _rows(incidents.exclude(caller_phone=""), by=BY_PHONE, key="caller_phone", kind=INCIDENT,
                  record="id", is_open=Value(0, output_field=IntegerField()), at="reported_at"),
            _rows(Party.objects.filter(case__in=cases).exclude(phone=""), by=BY_PHONE, key="phone", kind=CASE,
                  record="case_id", is_open=models.Case(When(case__state__in=OPEN_STATES, then=Value(1)), default=Value(0),
                                                  output_field=IntegerField()), at="case__reported_at"),
        ]
        union = parts[0].union(*parts[1:], all=True).order_by()
        inner, params = union.query.get_compiler(using=union.db).as_sql()
        incident_n = "SUM(CASE WHEN r_kind = 0 THEN 1 ELSE 0 END)"
        case_n = "COUNT(DISTINCT CASE WHEN r_kind = 1 THEN r_rid END)"
        open_n = "COUNT(DISTINCT CASE WHEN r_kind = 1 AND r_open = 1 THEN r_rid END)"
        sql = (f"SELECT r_by, r_key, {incident_n}, {case_n}, {open_n} FROM ({inner}) repeat_rows "
               f"GROUP BY r_by, r_key HAVING {incident_n} + {case_n} >= %s "
               f"ORDER BY {incident_n} + {case_n} DESC, MAX(r_at) DESC, r_by, r_key")
        return sql, [*params, self.threshold]

    def _execute(self, sql, params):
        with connections[Case.objects.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self) -> int:
        if self._count is None:
            sql, params = self._grouped_sql()
            self._count = self._execute(f"SELECT COUNT(*) FROM ({sql}) repeat_groups", params)[0][0]
        return self._count

    def __len__(self):
        return self.count()

    def all(self) -> list[Repeat]:
        """Every repeat, without its records (for the export, which fetches them in chunks)."""
        sql, params = self._grouped_sql()
        return [Repeat(*row) for row in self._execute(sql, params)]

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Repeats supports plain slices only")
        start, stop = index.start or 0, index.stop
        sql, params = self._grouped_sql()
        if stop is None:
            rows = self._execute(sql, params)[start:]
        else:
            rows = self._execute(f"{sql} LIMIT %s OFFSET %s", [*params, max(0, stop - start), start])
        repeats = [Repeat(*row) for row in rows]
        self.fill(repeats)
        return repeats

    def fill(self, repeats: list[Repeat], *, per_repeat: int | None = RECORDS_PER_REPEAT) -> None:
        """Attach to each repeat its records, newest first (three queries for the lot)."""
        keys = [r.key for r in repeats if r.by == BY_ADDRESS]
        phones = [r.key for r in repeats if r.by == BY_PHONE]
        if not repeats:
            return
        incidents = list(self._incidents().filter(Q(address_key__in=keys) | Q(caller_phone__in=phones))
                         .select_related("police_grid").order_by("-reported_at", "-id"))
        cases = list(self._cases().filter(
            Q(address_key__in=keys) | Q(id__in=Party.objects.filter(phone__in=phones).values("case_id")))
            .select_related("grid__community").order_by("-reported_at", "-id"))
        phones_of = {}
        if phones and cases:
            for case_id, phone in Party.objects.filter(
                    case_id__in=[c.pk for c in cases], phone__in=phones).values_list("case_id", "phone"):
                phones_of.setdefault(case_id, set()).add(phone)
        for repeat in repeats:
            if repeat.by == BY_ADDRESS:
                repeat.incidents = [i for i in incidents if i.address_key == repeat.key]
                repeat.cases = [c for c in cases if c.address_key == repeat.key]
                newest = sorted((*repeat.incidents[:1], *repeat.cases[:1]), key=lambda r: r.reported_at)
                repeat.address = newest[-1].address if newest else repeat.key
            else:
                repeat.incidents = [i for i in incidents if i.caller_phone == repeat.key]
                repeat.cases = [c for c in cases if repeat.key in phones_of.get(c.pk, ())]
            if per_repeat is not None:
                repeat.incidents, repeat.cases = repeat.incidents[:per_repeat], repeat.cases[:per_repeat]


def repeats_for(user, *, now=None) -> Repeats:
    settings = WarningSettings.current()
    return Repeats(user=user, days=settings.radar_days, threshold=settings.repeat_threshold, now=now)


# --- the repeat list as Excel -------------------------------------------------------------------

CHUNK = 200
NUMBERS_PER_CELL = 50


def write_repeats(repeats: Repeats, out) -> int:
    """Write the repeat list to `out` (a path or a binary file) in constant memory: the repeats'
    records are read a chunk at a time. Phones masked, formulas neutralised, as cases/export.py.
    Returns the number of rows."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("Repeat disputes")[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = workbook.add_format({"num_format": DATE_FORMAT, "align": "left"})
    columns = [
        (_("repeat of"), 14), (_("address or phone"), 36), (_("110 incidents"), 10), (_("cases"), 8),
        (_("open cases"), 10), (_("needs triage"), 10), (_("latest"), 17), (_("incident numbers"), 40),
        (_("case numbers"), 40),
    ]
    for index, (title, width) in enumerate(columns):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, str(title), bold)
    sheet.freeze_panes(1, 0)
    kinds = {BY_ADDRESS: _("building and unit"), BY_PHONE: _("phone")}
    yes, no = _("yes"), _("no")
    rows = 0
    for chunk in batched(repeats.all(), CHUNK):
        chunk = list(chunk)
        repeats.fill(chunk, per_repeat=None)
        for repeat in chunk:
            rows += 1
            values = [
                kinds[repeat.by], repeat.phone if repeat.by_phone else repeat.address,
                repeat.incident_count, repeat.case_count, repeat.open_count,
                yes if repeat.needs_triage else no, excel_time(repeat.latest),
                "、".join(i.number for i in repeat.incidents[:NUMBERS_PER_CELL]),
                "、".join(c.number for c in repeat.cases[:NUMBERS_PER_CELL]),
            ]
            for index, value in enumerate(values):
                if isinstance(value, datetime):
                    sheet.write_datetime(rows, index, value, date)
                elif isinstance(value, int):
                    sheet.write_number(rows, index, value)
                elif value is not None:
                    sheet.write_string(rows, index, neutralise(value))
    workbook.close()
    return rows
