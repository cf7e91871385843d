"""Importing the 110 dispatch system's export (.xlsx or .csv): reading, checking, writing, and the
background jobs behind the import page.

All or nothing, in constant memory. Pass 1 streams the file and checks every row (the incident
numbers seen so far are the only thing kept); a file with any bad row writes nothing and reports
each bad row with its line and reasons. Pass 2 streams the file again and inserts in chunks inside
one transaction; an incident number already in the database is counted as known, never updated
or duplicated, so importing the same or an overlapping file again adds only the new rows.

Reasons are stored as codes with their parameters (never as text frozen in one language) and
worded where they are shown (`describe`). A police grid outside the importer's scope reads
exactly like a code that does not exist: the file learns nothing about other places.
"""

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path

import openpyxl
import xlsxwriter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.datetime import from_excel

from cases.addresses import address_key
from cases.masking import mask_phone
from cases.validators import CLOCK_SKEW, validate_phone
from grids import access

from .models import ImportBatch, ImportStatus, Incident
from .permissions import visible_police_grids

CHUNK = 2000          # rows per existence lookup and per INSERT
MAX_ERRORS = 200      # bad rows kept for the page (all of them are counted)
PREVIEW_ROWS = 20
EARLIEST_YEAR = 2000
SUFFIXES = (".xlsx", ".csv")
HEADER_SEARCH_ROWS = 10  # an export may carry a title line or two above its header row

# phase names passed to progress callbacks
CHECK, IMPORT = "check", "import"
Progress = Callable[[str, int, int | None], None]  # (phase, rows done, total rows or None)


@dataclass(frozen=True)
class Column:
    header: str          # the dispatch system's column name (not translated: it is the file's)
    field: str           # the Incident field it fills
    required: bool
    width: int           # in the template workbook
    text: bool = True    # formatted as text in the template (numbers that are not quantities)


# The one declaration of the file's columns: the checks and the template workbook both read it.
COLUMNS = (
    Column("警情编号", "number", True, 22),
    Column("报警时间", "reported_at", True, 18, text=False),
    Column("报警人", "caller_name", False, 10),
    Column("联系电话", "caller_phone", False, 15),
    Column("事发地址", "address", True, 36),
    Column("警情类别", "kind", False, 12),
    Column("简要警情", "summary", False, 50),
    Column("责任区", "police_grid", True, 12),
    Column("处理结果", "outcome", False, 40),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
MAX_LENGTH = {c.field: Incident._meta.get_field(c.field).max_length
              for c in COLUMNS if c.field not in ("police_grid", "reported_at")}

# Every reason a row or a file is refused, worded when shown.
REASONS = {
    "missing": gettext_lazy("%(column)s is empty."),
    "too_long": gettext_lazy("%(column)s is longer than %(max)s characters."),
    "bad_time": gettext_lazy("%(column)s is not a date and time such as 2026-11-03 14:22."),
    "future": gettext_lazy("%(column)s is in the future."),
    "too_early": gettext_lazy("%(column)s is before the year 2000."),
    "phone": gettext_lazy("%(column)s is not an 11-digit mobile number or a landline such as 0571-88886666."),
    "duplicate": gettext_lazy("This incident number appears more than once in the file."),
    "grid": gettext_lazy("%(code)s is not the code of a police grid you may import for."),
    "unreadable": gettext_lazy("The file could not be read as an Excel workbook (.xlsx) or a CSV file."),
    "encoding": gettext_lazy("The CSV file is neither UTF-8 nor GB18030 text."),
    "headers": gettext_lazy("The header row lacks the required columns: %(columns)s."),
    "header_twice": gettext_lazy("The column %(column)s appears more than once in the header row."),
    "empty": gettext_lazy("The file has no rows to import."),
    "changed": gettext_lazy("The file changed while it was being imported; nothing was imported."),
}


def describe(reasons) -> str:
    """A bad row's reasons ([code, params] pairs) in the active language."""
    return " ".join(str(REASONS[code]) % params for code, params in reasons)  # whole sentences


class FileProblem(Exception):
    """The file as a whole cannot be imported (unreadable, no header row, no rows)."""

    def __init__(self, code, line=None, **params):
        super().__init__(code)
        self.code, self.line, self.params = code, line, params

    def as_error(self) -> dict:
        return {"line": self.line, "number": "", "reasons": [[self.code, self.params]]}


@dataclass
class Report:
    """What a check or an import found. `errors` holds the first MAX_ERRORS bad rows;
    `bad_rows` counts them all."""

    total: int = 0
    new: int = 0
    known: int = 0
    bad_rows: int = 0
    errors: list = field(default_factory=list)
    preview: list = field(default_factory=list)
    police_grid_ids: set = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, problem: FileProblem) -> "Report":
        self.errors = [problem.as_error()]
        self.new = self.known = 0
        return self


# --- reading -----------------------------------------------------------------------------------

def _suffix(path) -> str:
    suffix = Path(str(path)).suffix.lower()
    if suffix not in SUFFIXES:
        raise FileProblem("unreadable")
    return suffix


def _xlsx_rows(path) -> Iterator[tuple[int, tuple]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a zip that is no workbook, a renamed file: all the same to the user
        raise FileProblem("unreadable") from error
    try:
        sheet = workbook.worksheets[0]
        # The stored dimension may be wrong (some writers leave A1:A1): read to the last row.
        sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1)
    finally:
        workbook.close()


def _csv_encoding(path) -> str:
    """utf-8 (with or without BOM) if the whole file decodes as such, else gb18030 (the Chinese
    Excel default). Checked in 1 MB pieces: memory does not grow with the file."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as raw:
                while piece := raw.read(1 << 20):
                    decoder.decode(piece)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileProblem("encoding")


def _csv_rows(path) -> Iterator[tuple[int, list]]:
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as text:
        first = text.readline()
        # Comma unless the header line is plainly separated by tabs or semicolons.
        delimiter = max(",\t;", key=first.count) if first else ","
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        line = 0
        try:
            for line, values in enumerate(reader, start=1):
                yield line, values
        except csv.Error as error:
            raise FileProblem("unreadable", line=line + 1) from error


def read_rows(path) -> Iterator[tuple[int, tuple]]:
    """(line number as a spreadsheet shows it, cell values) for every row, streamed."""
    return _xlsx_rows(path) if _suffix(path) == ".xlsx" else _csv_rows(path)


def estimate_rows(path) -> int | None:
    """About how many data rows the file has, cheaply, for a progress bar before the check
    has counted them: the workbook's stored dimension, or the CSV's line breaks."""
    try:
        if _suffix(path) == ".xlsx":
            workbook = openpyxl.load_workbook(path, read_only=True)
            try:
                rows = workbook.worksheets[0].max_row
            finally:
                workbook.close()
            return rows - 1 if rows and rows > 1 else None
        with open(path, "rb") as raw:
            lines = sum(piece.count(b"\n") for piece in iter(lambda: raw.read(1 << 20), b""))
        return max(lines - 1, 0) or None
    except Exception:  # the check reports an unreadable file properly
        return None


# --- checking one row --------------------------------------------------------------------------

def _header_name(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "")


def _find_headers(rows) -> dict[str, int]:
    """{field: column index} from the header row: the first of the first few rows that names any
    column. Consumes the rows up to and including the header row."""
    wanted = {c.header: c.field for c in COLUMNS}
    for line, values in islice(rows, HEADER_SEARCH_ROWS):
        names = [_header_name(v) for v in values]
        if not any(name in wanted for name in names):
            continue
        positions = {}
        for index, name in enumerate(names):
            if name in wanted:
                if wanted[name] in positions:
                    raise FileProblem("header_twice", line=line, column=name)
                positions[wanted[name]] = index
        missing = [c.header for c in COLUMNS if c.required and c.field not in positions]
        if missing:
            raise FileProblem("headers", line=line, columns="、".join(missing))
        return positions
    raise FileProblem("headers", line=None, columns="、".join(c.header for c in COLUMNS if c.required))


def _text(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into Excel: 13812345678.0 is the phone 13812345678
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                "%Y年%m月%d日%H:%M:%S", "%Y年%m月%d日%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                "%Y%m%d%H%M%S")


def _when(value) -> datetime | None:
    """A datetime cell or text such as 2026-11-03 14:22[:05] or 2026/11/3 14:22; naive times are
    local. None when it is not a time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 100_000:
        moment = from_excel(value)  # a time cell without a date format: Excel's day count
    else:
        text = " ".join(_text(value).replace("T", " ").split())
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for pattern in TIME_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)
                    break
                except ValueError:
                    continue
            else:
                return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


@dataclass
class _Rules:
    """What every row is checked against, loaded once per pass."""

    grids: dict  # police grid code -> (id, name), only those the importer may see
    latest: datetime = field(default_factory=lambda: timezone.now() + CLOCK_SKEW)
    earliest: datetime = field(default_factory=lambda: timezone.make_aware(
        datetime(EARLIEST_YEAR, 1, 1), timezone.get_default_timezone()))


# (field, header, required, longest allowed) of the text columns, in the file's order of checks
_TEXT_COLUMNS = [(c.field, c.header, c.required, MAX_LENGTH.get(c.field))
                 for c in COLUMNS if c.field != "reported_at"]


def _check_row(values, positions, rules) -> tuple[dict | None, list]:
    """The row's Incident fields and its problems ([code, params] pairs); None for a blank row."""
    width = len(values)
    raw_time = values[positions["reported_at"]] if positions["reported_at"] < width else None
    time_text = _text(raw_time)
    row = {}
    for name, _header, _required, _limit in _TEXT_COLUMNS:
        index = positions.get(name)
        row[name] = _text(values[index]) if index is not None and index < width else ""
    if not time_text and not any(row.values()):
        return None, []  # a blank row (Excel keeps formatted empty rows at the end)
    problems = []
    for name, header, required, limit in _TEXT_COLUMNS:
        if required and not row[name]:
            problems.append(["missing", {"column": header}])
        elif limit and len(row[name]) > limit:
            problems.append(["too_long", {"column": header, "max": limit}])
    header = HEADER_OF["reported_at"]
    moment = _when(raw_time) if time_text else None
    if not time_text:
        problems.append(["missing", {"column": header}])
    elif moment is None:
        problems.append(["bad_time", {"column": header}])
    elif moment > rules.latest:
        problems.append(["future", {"column": header}])
    elif moment < rules.earliest:
        problems.append(["too_early", {"column": header}])
    row["reported_at"] = moment
    phone = row["caller_phone"] = row["caller_phone"].replace(" ", "")
    if phone:
        try:
            validate_phone(phone)
        except ValidationError:
            problems.append(["phone", {"column": HEADER_OF["caller_phone"]}])
    code = row.pop("police_grid")
    grid = rules.grids.get(code)
    if code and grid is None:
        problems.append(["grid", {"code": code[:30]}])
    row["police_grid_id"], row["police_grid_name"] = grid if grid else (None, "")
    row["police_grid_code"] = code
    return row, problems


def _records(path, rules) -> Iterator[tuple[int, dict, list]]:
    """(line, fields, problems) for every non-empty data row."""
    rows = read_rows(path)
    positions = _find_headers(rows)
    for line, values in rows:
        row, problems = _check_row(values, positions, rules)
        if row is not None:
            yield line, row, problems


def _rules_for(police_grids) -> _Rules:
    return _Rules(grids={code: (pk, name) for pk, code, name in police_grids.values_list("id", "code", "name")})


def _forget_queries() -> None:
    # With DEBUG on (development), Django keeps every query's SQL, each INSERT with thousands of
    # rows' values: memory would grow with the file. Called once a chunk.
    if settings.DEBUG:
        reset_queries()


def _known_numbers(numbers) -> set[str]:
    _forget_queries()
    return set(Incident.objects.filter(number__in=numbers).values_list("number", flat=True))


def _preview_row(row) -> dict:
    return {
        "number": row["number"],
        "reported_at": timezone.localtime(row["reported_at"]).strftime("%Y-%m-%d %H:%M"),
        "caller_name": row["caller_name"],
        "caller_phone": mask_phone(row["caller_phone"]),
        "address": row["address"],
        "kind": row["kind"],
        "summary": row["summary"][:60],
        "police_grid": f"{row['police_grid_code']} {row['police_grid_name']}",
    }


# --- the two passes ----------------------------------------------------------------------------

def check_file(path, *, police_grids, progress: Progress | None = None,
               on_error: Callable[[dict], None] | None = None) -> Report:
    """Pass 1: check every row of the file against `police_grids` (the PoliceGrid queryset the
    importer may import for). Writes nothing. Counts the rows already imported, keeps the
    first rows as a preview, and reports each bad row to `on_error` as well as in the report."""
    report = Report()
    estimate = estimate_rows(path) if progress else None
    rules = _rules_for(police_grids)
    seen: set[str] = set()
    pending: list[str] = []
    try:
        for line, row, problems in _records(path, rules):
            report.total += 1
            number = row["number"]
            if number:
                if number in seen:
                    problems.append(["duplicate", {}])
                else:
                    seen.add(number)
            if problems:
                report.bad_rows += 1
                error = {"line": line, "number": number[:50], "reasons": problems}
                if len(report.errors) < MAX_ERRORS:
                    report.errors.append(error)
                if on_error:
                    on_error(error)
            elif not report.bad_rows:
                report.police_grid_ids.add(row["police_grid_id"])
                if len(report.preview) < PREVIEW_ROWS:
                    report.preview.append(_preview_row(row))
                pending.append(number)
                if len(pending) == CHUNK:
                    report.known += len(_known_numbers(pending))
                    pending.clear()
            if progress and report.total % CHUNK == 0:
                progress(CHECK, report.total, estimate)
    except FileProblem as problem:
        if on_error:
            on_error(problem.as_error())
        return report.refuse(problem)
    if not report.total:
        return report.refuse(FileProblem("empty"))
    if pending and not report.bad_rows:
        report.known += len(_known_numbers(pending))
    if report.bad_rows:
        report.known = 0
    else:
        report.new = report.total - report.known
    if progress:
        progress(CHECK, report.total, report.total)
    return report


class _Changed(Exception):
    """Pass 2 met a row pass 1 had not seen as good (the file or the importer's scope changed
    since the check): roll back."""


class _AlreadyFinished(Exception):
    """Another run of the same batch finished first; roll this one back."""


def _insert(rows, batch) -> int:
    """Insert the rows whose number is not yet known; return how many were new."""
    numbers = [row["number"] for row in rows]
    if len(set(numbers)) != len(numbers):
        raise _Changed
    known = _known_numbers(numbers)
    fresh = [
        Incident(
            number=row["number"], reported_at=row["reported_at"], caller_name=row["caller_name"],
            caller_phone=row["caller_phone"], address=row["address"], address_key=address_key(row["address"]),
            kind=row["kind"], summary=row["summary"], police_grid_id=row["police_grid_id"],
            outcome=row["outcome"], batch=batch,
        )
        for row in rows if row["number"] not in known
    ]
    # ignore_conflicts: a number inserted by a concurrent import since the lookup is skipped too.
    Incident.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def write_file(path, *, police_grids, total: int, batch: ImportBatch | None = None,
               progress: Progress | None = None) -> tuple[int, int]:
    """Pass 2, for a file that passed `check_file`: insert its rows in chunks inside one
    transaction; return (new, known). Raises _Changed, writing nothing, if a row is no longer
    good. With a `batch`, its outcome is written in the same transaction, and only if the batch
    is still importing (raises _AlreadyFinished for a second run of the job)."""
    rules = _rules_for(police_grids)
    with transaction.atomic():
        new = done = 0
        chunk = []
        for _line, row, problems in _records(path, rules):
            if problems:
                raise _Changed
            chunk.append(row)
            if len(chunk) == CHUNK:
                new += _insert(chunk, batch)
                done += len(chunk)
                chunk.clear()
                if progress:
                    progress(IMPORT, done, total)
        if chunk:
            new += _insert(chunk, batch)
            done += len(chunk)
        if done != total:
            raise _Changed
        if batch is not None and not ImportBatch.objects.filter(
                pk=batch.pk, status=ImportStatus.IMPORTING).update(
                status=ImportStatus.DONE, new_rows=new, known_rows=total - new,
                processed_rows=total, total_rows=total, finished_at=timezone.now()):
            raise _AlreadyFinished
    if progress:
        progress(IMPORT, total, total)
    return new, total - new


def import_file(path, *, police_grids, dry_run: bool = False, progress: Progress | None = None,
                on_error: Callable[[dict], None] | None = None) -> Report:
    """Check the whole file; unless it has a bad row (or this is a `dry_run`), import it in one
    transaction. What the command does."""
    report = check_file(path, police_grids=police_grids, progress=progress, on_error=on_error)
    if not report.ok or dry_run:
        return report
    try:
        report.new, report.known = write_file(path, police_grids=police_grids, total=report.total,
                                              progress=progress)
    except (_Changed, FileProblem):
        return report.refuse(FileProblem("changed"))
    return report


# --- the template workbook ---------------------------------------------------------------------

def write_template(out) -> None:
    """An empty workbook with the header row, to a path or a binary file."""
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet(_("110 incidents")[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    as_text = workbook.add_format({"num_format": "@"})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    for index, column in enumerate(COLUMNS):
        # Text columns stay text: an incident number or a phone typed in must not become a number.
        sheet.set_column(index, index, column.width, as_text if column.text else when)
        sheet.write_string(0, index, column.header, required if column.required else bold)
    sheet.freeze_panes(1, 0)
    workbook.close()


def template_bytes() -> bytes:
    out = io.BytesIO()
    write_template(out)
    return out.getvalue()


# --- batches: the page's upload, check, confirmation and import --------------------------------

def visible_batches(user):
    """The imports a user may open: their own; administrators all of them."""
    batches = ImportBatch.objects.all()
    return batches if access.is_admin(user) else batches.filter(uploaded_by=user)


def may_see_preview(user, batch) -> bool:
    """The preview (and the confirmation) only for someone who may see every police grid the
    file names: an importer whose scope has shrunk since the upload sees neither."""
    if access.is_admin(user) or not batch.police_grid_ids:
        return True
    ids = set(batch.police_grid_ids)
    return len(ids) == visible_police_grids(user).filter(id__in=ids).count()


class _ProgressWriter:
    """Writes a batch's progress with one cheap UPDATE per chunk, where the page can see it:
    outside a transaction directly; inside the import's transaction through a second connection
    on PostgreSQL. SQLite has a single writer (the import itself), so there the import's progress
    shows when it commits."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.side = None

    def __call__(self, phase, done, total):
        table = connection.ops.quote_name(ImportBatch._meta.db_table)
        if total is None:
            sql, params = f"UPDATE {table} SET processed_rows = %s WHERE id = %s", [done, self.batch_id]
        else:
            sql, params = (f"UPDATE {table} SET processed_rows = %s, total_rows = %s WHERE id = %s",
                           [done, total, self.batch_id])
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
        elif connection.vendor == "postgresql":
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.side.cursor() as cursor:
                cursor.execute(sql, params)

    def close(self):
        if self.side is not None:
            self.side.close()
            self.side = None


def _fail(batch_id, status_while_running) -> None:
    ImportBatch.objects.filter(pk=batch_id, status=status_while_running).update(
        status=ImportStatus.FAILED, finished_at=timezone.now())


def _reject(batch_id, status_while_running, report) -> int:
    return ImportBatch.objects.filter(pk=batch_id, status=status_while_running).update(
        status=ImportStatus.REJECTED, errors=report.errors, bad_rows=report.bad_rows,
        total_rows=report.total, processed_rows=report.total, new_rows=0, known_rows=0,
        finished_at=timezone.now())


def check_batch(batch_id: int) -> str:
    """The worker's check of an uploaded batch: fills the counts, the preview or the bad rows.
    Safe to run twice (a batch already checked is left alone; a check cut short is redone)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).filter(pk=batch_id).first()
        if batch is None or batch.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKING):
            return batch.status if batch else "missing"
        batch.status = ImportStatus.CHECKING
        batch.processed_rows = 0
        batch.total_rows = estimate_rows(batch.file.path) or 0
        batch.save(update_fields=["status", "processed_rows", "total_rows"])
    writer = _ProgressWriter(batch_id)
    try:
        report = check_file(batch.file.path, police_grids=visible_police_grids(batch.uploaded_by),
                            progress=writer)
    except Exception:
        _fail(batch_id, ImportStatus.CHECKING)
        raise
    finally:
        writer.close()
    if not report.ok:
        _reject(batch_id, ImportStatus.CHECKING, report)
        return ImportStatus.REJECTED
    ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED, total_rows=report.total, processed_rows=report.total,
        new_rows=report.new, known_rows=report.known, errors=[], bad_rows=0, preview=report.preview,
        police_grid_ids=sorted(report.police_grid_ids))
    return ImportStatus.CHECKED


def import_batch(batch_id: int) -> str:
    """The worker's import of a confirmed batch, which the check found good: pass 2 straight
    away, every row checked again as it is written (against the uploader's scope of today);
    should one fail, nothing is written and a fresh check names the bad rows. Safe to run twice:
    only a batch still importing is imported, its outcome written in the same transaction as
    its rows, and known numbers are never inserted again."""
    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is None or batch.status != ImportStatus.IMPORTING:
        return batch.status if batch else "missing"
    police_grids = visible_police_grids(batch.uploaded_by)
    writer = _ProgressWriter(batch_id)
    try:
        write_file(batch.file.path, police_grids=police_grids, total=batch.total_rows, batch=batch,
                   progress=writer)
    except _AlreadyFinished:
        return ImportStatus.DONE
    except (_Changed, FileProblem):
        report = check_file(batch.file.path, police_grids=police_grids)
        _reject(batch_id, ImportStatus.IMPORTING, report if not report.ok else report.refuse(FileProblem("changed")))
        return ImportStatus.REJECTED
    except Exception:
        _fail(batch_id, ImportStatus.IMPORTING)
        raise
    finally:
        writer.close()
    return ImportStatus.DONE
