"""A street's (or a district's) rollout from one Excel workbook (issue 11, item 9): streets,
communities, community grids, police stations, police grids and the grids they cover, the people
with their role and place, departments with their contact accounts, and the mediator roster.

`SHEETS` declares the format once: the sheet names and their headers (matched by name, in any
order; extra columns and extra sheets are ignored). It is read by `import_places` and written by
`write_template`, so the two cannot drift apart.

Rules: every row is checked; if any row is wrong nothing is written and every wrong row is
reported with its sheet, row number and reason; everything is one transaction. Rows are keyed —
grids and police grids by code; streets, stations and departments by name; a community by its
name within its street; a mediator by name and organisation; people by account — so importing
again updates instead of duplicating. An import adds and updates, never removes: taking someone
off a place, uncovering a grid or dropping a contact is done in the admin. People are put on
places only through `grids.services.place_user`; new accounts get no usable password (the admin
page hands out first-sign-in links). Every write is an ordinary model save, so
django-simple-history records it (with the signed-in administrator on the admin page, with no
user from the command). A dry run does the same writes and rolls them back, so its preview
counts exactly what a real import would do.

Why not django-import-export: it is built around one resource per model, each imported (with its
own dry run and transaction) on its own. Here one workbook holds eight kinds of rows that refer
to each other across sheets (a grid's community, the grids a police grid covers, a person's
place of one of four kinds, a department's contact accounts, a mediator's communities and
account), which must be resolved in order and committed or refused as one. A person's row is
not a model row at all but a django-guardian object permission given by `place_user`, which a
resource's `instance.save()` would bypass. Making it fit would mean eight resources, cross-resource
lookups and a custom admin page anyway, plus a new dependency (and tablib); the code below is
shorter than that glue.
"""

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zipfile import BadZipFile

import openpyxl
import xlsxwriter
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.utils import get_user_obj_perms_model
from openpyxl.utils.exceptions import InvalidFileException

from cases.choices import Category, DepartmentKind
from cases.models import Department
from grids import services
from grids.models import Community, CommunityGrid, GridLink, PoliceGrid, PoliceStation, Street
from grids.roles import Role
from mediators.models import Mediator, MediatorChoice, Profession, Specialty, Team

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# A cell listing several things: 、 , ， ; ； or a line break between them.
SEPARATORS = re.compile(r"[、,，;；\n]+")
ROLES_BY_IMPORT = [r for r in Role if r != Role.ADMIN]  # administrators are made in the admin


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    choices: type | None = None  # a TextChoices whose labels the cell holds (a drop-down in the template)


@dataclass(frozen=True)
class Sheet:
    name: str
    kind: str
    columns: tuple[Column, ...]


# The workbook's format, in the order the sheets are imported (each refers only to those above it).
SHEETS = (
    Sheet("街道", "street", (
        Column("name", "街道名称", True, gettext_lazy("The street office's name, e.g. 栖凤街道.")),
        Column("prefix", "案件编号前缀", True,
               gettext_lazy("The short name that starts its case numbers, e.g. 栖凤; each street has its own.")),
    )),
    Sheet("社区", "community", (
        Column("street", "所属街道", True, gettext_lazy("A street of this workbook or already in the system.")),
        Column("name", "社区名称", True, gettext_lazy("The community's name, unique within its street.")),
    )),
    Sheet("网格", "grid", (
        Column("street", "所属街道", True, gettext_lazy("A street of this workbook or already in the system.")),
        Column("community", "所属社区", True, gettext_lazy("A community of that street.")),
        Column("name", "网格名称", True, gettext_lazy("e.g. 第1网格.")),
        Column("code", "网格编码", True,
               gettext_lazy("Unique code of the community grid, e.g. QF-01-01; importing again updates the grid with this code.")),
    )),
    Sheet("派出所", "station", (
        Column("name", "派出所名称", True, gettext_lazy("e.g. 栖凤派出所.")),
    )),
    Sheet("警务区", "police_grid", (
        Column("station", "所属派出所", True, gettext_lazy("A police station of this workbook or already in the system.")),
        Column("name", "警务区名称", True, gettext_lazy("e.g. 第一警务区.")),
        Column("code", "警务区编码", True,
               gettext_lazy("Unique code of the police grid, e.g. QF-J01; importing again updates the police grid with this code.")),
        Column("post", "警务室（站）", True, gettext_lazy("The police room or post it is run from, e.g. 栖凤社区警务室.")),
        Column("grids", "覆盖网格", False,
               gettext_lazy("Codes of the community grids it covers, separated by 、 or a comma.")),
    )),
    Sheet("人员", "account", (
        Column("username", "账号", True, gettext_lazy("The sign-in name; one row per role and place, the same account may have several rows.")),
        Column("name", "姓名", True, gettext_lazy("Full name.")),
        Column("role", "角色", True, gettext_lazy("The role as the app names it."), Role),
        Column("place", "所在地点", False,
               gettext_lazy("Community worker: the grid's code; police officer or auxiliary: the police grid's code; "
                            "station leader: the station's name; street leader: the street's name; "
                            "mediator and department contact: empty.")),
    )),
    Sheet("部门", "department", (
        Column("name", "部门名称", True, gettext_lazy("e.g. 区住建局.")),
        Column("kind", "部门类型", True, gettext_lazy("The kind of department as the app names it."), DepartmentKind),
        Column("contact_name", "联系人", False, gettext_lazy("Contact person, e.g. 王科长.")),
        Column("phone", "电话", False, gettext_lazy("The department's phone number.")),
        Column("contacts", "联系人账号", False,
               gettext_lazy("Accounts that sign for referrals, separated by 、 or a comma; each in the 人员 sheet or already in the system.")),
    )),
    Sheet("调解员", "mediator", (
        Column("name", "姓名", True, gettext_lazy("Full name.")),
        Column("team", "调解队伍", True, gettext_lazy("The mediation team as the app names it."), Team),
        Column("organisation", "所在单位", True, gettext_lazy("e.g. 栖凤社区人民调解委员会; a mediator is found again by name and organisation.")),
        Column("profession", "职业", False, gettext_lazy("The profession as the app names it; empty: other."), Profession),
        Column("phone", "电话", False, gettext_lazy("Mobile or landline number.")),
        Column("communities", "服务社区", False,
               gettext_lazy("Communities served, separated by 、 or a comma; write street/community when two streets have a community of that name.")),
        Column("specialties", "擅长领域", False,
               gettext_lazy("Kinds of dispute as the app names them, separated by 、 or a comma.")),
        Column("account", "关联账号", False,
               gettext_lazy("Her sign-in account, if she has one: in the 人员 sheet or already in the system.")),
    )),
)
NOTES_SHEET = "说明"


def kind_labels() -> dict:
    """What the summary calls each kind of row, in the reader's language."""
    return {
        "street": Street._meta.verbose_name,
        "community": Community._meta.verbose_name,
        "grid": CommunityGrid._meta.verbose_name,
        "station": PoliceStation._meta.verbose_name,
        "police_grid": PoliceGrid._meta.verbose_name,
        "account": get_user_model()._meta.verbose_name,
        "role": gettext_lazy("role held"),
        "department": Department._meta.verbose_name,
        "mediator": Mediator._meta.verbose_name,
    }


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    reason: str

    def __str__(self):
        if self.row is None:
            return self.reason
        return _("%(sheet)s, row %(row)s: %(reason)s") % {"sheet": self.sheet, "row": self.row,
                                                          "reason": self.reason}


@dataclass
class Outcome:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    dry_run: bool
    counts: dict[str, Counter] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # (account, created by this import) for every account of the workbook still without a password
    awaiting_first_sign_in: list[tuple] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> list[tuple]:
        """(label, created, updated, unchanged) for each kind of row the workbook had."""
        labels = kind_labels()
        return [(labels[kind], c[CREATED], c[UPDATED], c[UNCHANGED])
                for kind, c in self.counts.items() if c.total()]


class BadRow(Exception):
    """The row cannot be imported; the message says why, for the person who filled it in."""


def _norm(text: str) -> str:
    # NFKC folds full-width brackets and letters, so "警务室(站)" matches "警务室（站）".
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code or phone typed as a number
    return str(value).strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _labels(choices) -> list[str]:
    return [str(label) for value, label in choices.choices
            if not (choices is Role and value == Role.ADMIN)]


def import_places(source, *, dry_run: bool = False) -> Outcome:
    """Import the workbook at `source` (a path or a binary file). All or nothing: with any bad row,
    or with `dry_run`, every write is rolled back; the outcome says what was (or would be) done."""
    importer = _Importer()
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError):
        importer.fail(_("This file cannot be read as an Excel workbook (.xlsx)."))
        return importer.outcome(dry_run)
    try:
        with transaction.atomic():
            importer.run(workbook)
            if importer.errors or dry_run:
                transaction.set_rollback(True)
    finally:
        workbook.close()
    return importer.outcome(dry_run)


class _Importer:
    def __init__(self):
        self.counts = {kind: Counter() for kind in kind_labels()}  # in the summary's order
        self.errors: list[RowError] = []
        self.seen = defaultdict(dict)     # kind -> key -> the row it was first on
        self.broken = defaultdict(set)    # kind -> keys whose own row was refused
        self.marks: list[tuple] = []      # (kind, key) the current row stands for
        self.accounts = {}                # username -> account, for the first-sign-in list
        self.names = {}                   # username -> full name on its first row
        self.created_accounts = set()
        self.labels = kind_labels()
        self.number = 0                   # the row being imported

    def fail(self, reason: str, sheet: str = "", row: int | None = None) -> None:
        self.errors.append(RowError(sheet, row, reason))

    def outcome(self, dry_run: bool) -> Outcome:
        awaiting = []
        if not self.errors and not dry_run:
            awaiting = [(user, user.pk in self.created_accounts) for user in self.accounts.values()
                        if not user.has_usable_password() and user.last_login is None]
        return Outcome(dry_run=dry_run, counts=self.counts, errors=self.errors,
                       awaiting_first_sign_in=awaiting)

    def run(self, workbook) -> None:
        present = set(workbook.sheetnames)
        sheets = [sheet for sheet in SHEETS if sheet.name in present]
        if not sheets:
            self.fail(_("The workbook has none of the sheets %(sheets)s; start from the template.")
                      % {"sheets": "、".join(sheet.name for sheet in SHEETS)})
            return
        for sheet in sheets:
            handler = getattr(self, f"_{sheet.kind}")
            for number, row in self._rows(workbook[sheet.name], sheet):
                self.marks, self.number = [], number
                try:
                    with transaction.atomic():
                        done = handler(row)
                except BadRow as refused:
                    self._refuse(sheet, number, str(refused))
                except ValidationError as refused:
                    self._refuse(sheet, number, " ".join(refused.messages))
                except IntegrityError:  # a rule the checks above missed; never a half-written row
                    self._refuse(sheet, number, _("This row clashes with data already in the system."))
                else:
                    for kind, state in done:
                        self.counts[kind][state] += 1

    def _refuse(self, sheet: Sheet, number: int, reason: str) -> None:
        self.fail(reason, sheet.name, number)
        for kind, key in self.marks:
            self.broken[kind].add(key)

    def _rows(self, worksheet, sheet: Sheet):
        """(row number, {column key: text}) for each non-empty row under the header row."""
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        where = {}
        for index, cell in enumerate(header):
            where.setdefault(_norm(_text(cell)), index)
        missing = [c.header for c in sheet.columns if c.required and _norm(c.header) not in where]
        if missing:
            self.fail(_("The header row lacks the columns %(columns)s.") % {"columns": "、".join(missing)},
                      sheet.name, 1)
            return
        columns = [(c, where.get(_norm(c.header))) for c in sheet.columns]
        for number, values in enumerate(rows, start=2):
            row = {c.key: _text(values[i]) if i is not None and i < len(values) else "" for c, i in columns}
            if not any(row.values()):
                continue
            empty = [c.header for c in sheet.columns if c.required and not row[c.key]]
            if empty:
                self.fail(_("These cells are empty: %(columns)s.") % {"columns": "、".join(empty)},
                          sheet.name, number)
                continue
            yield number, row

    # --- checks shared by the sheets ----------------------------------------------------------

    def _claim(self, kind: str, key) -> None:
        """The row stands for `key`; a second row for the same key is refused."""
        first = self.seen[kind].get(key)
        if first is not None:
            raise BadRow(_("This row repeats row %(row)s.") % {"row": first})
        self.seen[kind][key] = self.number
        self.marks.append((kind, key))

    def _choice(self, choices, text: str, header: str) -> str:
        wanted = _norm(text)
        for value, label in choices.choices:
            if choices is Role and value == Role.ADMIN:
                continue
            names = {_norm(value), _norm(str(label))}
            with translation.override("en"):
                names.add(_norm(str(label)))
            if wanted in names:
                return value
        raise BadRow(_("%(value)s is not a valid %(column)s; use one of: %(choices)s.") % {
            "value": text, "column": header, "choices": "、".join(_labels(choices))})

    def _find(self, kind: str, key, shown: str, queryset):
        """The one object `queryset` finds, or why the row cannot refer to it."""
        if key in self.broken[kind]:
            raise BadRow(_("%(what)s %(name)s has an error in its own row.") % {
                "what": self.labels[kind], "name": shown})
        found = queryset.first()
        if found is None:
            raise BadRow(_("There is no %(what)s %(name)s in this workbook or in the system.") % {
                "what": self.labels[kind], "name": shown})
        return found

    def _street_named(self, name: str) -> Street:
        return self._find("street", name, name, Street.objects.filter(name=name))

    def _account_named(self, username: str):
        return self._find("account", username, username,
                          get_user_model().objects.filter(username=username))

    def _community_called(self, text: str) -> Community:
        """A community served by a mediator: "street/community", or its name alone when only one
        street has a community of that name."""
        street_name, slash, name = text.replace("／", "/").rpartition("/")
        street_name, name = street_name.strip(), name.strip()
        if slash:
            return self._find("community", (street_name, name), f"{street_name}/{name}",
                              Community.objects.filter(street__name=street_name, name=name))
        found = list(Community.objects.filter(name=name).select_related("street")[:2])
        if len(found) > 1:
            raise BadRow(_("More than one street has a community called %(name)s; write it as "
                           "street/community, e.g. %(example)s.") % {
                "name": name, "example": f"{found[0].street.name}/{name}"})
        broken = next((key for key in self.broken["community"] if key[1] == name), None)
        if found or broken is None:
            return self._find("community", None, name, Community.objects.filter(name=name))
        return self._find("community", broken, name, Community.objects.none())

    def _save(self, obj) -> None:
        try:
            obj.full_clean()
        except ValidationError as invalid:
            reasons = []
            for name, messages in invalid.message_dict.items():
                for message in messages:
                    if name == NON_FIELD_ERRORS:
                        reasons.append(message)
                    else:
                        reasons.append(_("%(field)s: %(error)s") % {
                            "field": obj._meta.get_field(name).verbose_name, "error": message})
            raise BadRow(" ".join(reasons)) from None
        obj.save()

    def _upsert(self, model, lookup: dict, values: dict):
        """Find the object by `lookup` and bring it to `values`: (object, created/updated/unchanged).
        An unchanged object is not saved, so it gets no history row."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            self._save(obj)
            return obj, CREATED
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if not changed:
            return obj, UNCHANGED
        for name, value in changed.items():
            setattr(obj, name, value)
        self._save(obj)
        return obj, UPDATED

    # --- one method per sheet: returns [(kind, created/updated/unchanged)] ------------------

    def _street(self, row):
        self._claim("street", row["name"])
        _obj, state = self._upsert(Street, {"name": row["name"]}, {"prefix": row["prefix"]})
        return [("street", state)]

    def _community(self, row):
        self._claim("community", (row["street"], row["name"]))
        street = self._street_named(row["street"])
        _obj, state = self._upsert(Community, {"street": street, "name": row["name"]}, {})
        return [("community", state)]

    def _grid(self, row):
        self._claim("grid", row["code"])
        street = self._street_named(row["street"])
        community = self._find("community", (row["street"], row["community"]),
                               f"{row['street']}/{row['community']}",
                               Community.objects.filter(street=street, name=row["community"]))
        _obj, state = self._upsert(CommunityGrid, {"code": row["code"]},
                                   {"name": row["name"], "community_id": community.pk})
        return [("grid", state)]

    def _station(self, row):
        self._claim("station", row["name"])
        _obj, state = self._upsert(PoliceStation, {"name": row["name"]}, {})
        return [("station", state)]

    def _police_grid(self, row):
        self._claim("police_grid", row["code"])
        station = self._find("station", row["station"], row["station"],
                             PoliceStation.objects.filter(name=row["station"]))
        covered = [self._find("grid", code, code, CommunityGrid.objects.filter(code=code))
                   for code in _split(row["grids"])]
        police_grid, state = self._upsert(
            PoliceGrid, {"code": row["code"]},
            {"station_id": station.pk, "name": row["name"], "post_name": row["post"]})
        linked = set(GridLink.objects.filter(police_grid=police_grid).values_list("community_grid_id", flat=True))
        new = {grid.pk: grid for grid in covered if grid.pk not in linked}
        for grid in new.values():
            GridLink(police_grid=police_grid, community_grid=grid).save()  # one history row each
        if new and state == UNCHANGED:
            state = UPDATED
        return [("police_grid", state)]

    def _account(self, row):
        username, name = row["username"], row["name"]
        self._claim("role", (username, row["role"], row["place"]))
        self.marks.append(("account", username))
        role = self._choice(Role, row["role"], "角色")
        place = self._place(role, row["place"])
        done = []
        first_row = self.seen["account"].get(username)
        if first_row is None:
            self.seen["account"][username] = self.number
            self.names[username] = name
            user, state = self._person(username, name)
            done.append(("account", state))
        elif self.names[username] != name:
            raise BadRow(_("Row %(row)s gives this account the name %(name)s.") % {
                "row": first_row, "name": self.names[username]})
        else:
            user = self._account_named(username)
        self.accounts[username] = user
        done.append(("role", self._put(user, role, place)))
        return done

    def _place(self, role: str, text: str):
        if role not in services.PLACES:
            if text:
                raise BadRow(_("A %(role)s is not placed on a grid, station or street; leave %(column)s empty.")
                             % {"role": Role(role).label, "column": "所在地点"})
            return None
        model, _permission = services.PLACES[role]
        if not text:
            raise BadRow(_("Say where this person works: the %(what)s in %(column)s.") % {
                "what": model._meta.verbose_name, "column": "所在地点"})
        kinds = {CommunityGrid: ("grid", "code"), PoliceGrid: ("police_grid", "code"),
                 PoliceStation: ("station", "name"), Street: ("street", "name")}
        kind, key_field = kinds[model]
        return self._find(kind, text, text, model.objects.filter(**{key_field: text}))

    def _person(self, username: str, name: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = get_user_model()(username=username, first_name=name)
            user.set_unusable_password()  # the first-sign-in link sets it
            self._save(user)
            self.created_accounts.add(user.pk)
            return user, CREATED
        if user.first_name != name:
            user.first_name = name
            self._save(user)
            return user, UPDATED
        return user, UNCHANGED

    def _put(self, user, role: str, place) -> str:
        if place is None:
            if user.groups.filter(name=role).exists():
                return UNCHANGED
            services.give_role(user=user, role=role)
            return CREATED
        _model, permission = services.PLACES[role]
        held = get_user_obj_perms_model(place).objects.filter(
            user=user, content_object=place, permission__codename=permission.split(".")[1]).exists()
        if held:
            return UNCHANGED
        services.place_user(user=user, role=role, place=place)
        return CREATED

    def _department(self, row):
        self._claim("department", row["name"])
        kind = self._choice(DepartmentKind, row["kind"], "部门类型")
        contacts = [self._account_named(username) for username in _split(row["contacts"])]
        values = {"kind": kind}
        values.update({key: row[key] for key in ("contact_name", "phone") if row[key]})
        department, state = self._upsert(Department, {"name": row["name"]}, values)
        have = set(department.contacts.values_list("pk", flat=True))
        new = [user for user in contacts if user.pk not in have]
        if new:
            department.contacts.add(*new)
            for user in new:  # the referral form offers accounts labelled as department contacts
                services.give_role(user=user, role=Role.DEPARTMENT)
            if state == UNCHANGED:
                state = UPDATED
        return [("department", state)]

    def _mediator(self, row):
        name, organisation = row["name"], row["organisation"]
        self._claim("mediator", (name, organisation))
        team = self._choice(Team, row["team"], "调解队伍")
        profession = self._choice(Profession, row["profession"], "职业") if row["profession"] else None
        communities = [self._community_called(text) for text in _split(row["communities"])]
        categories = [self._choice(Category, text, "擅长领域") for text in _split(row["specialties"])]
        account = self._account_named(row["account"]) if row["account"] else None
        existing = list(Mediator.objects.filter(name=name, organisation=organisation)[:2])
        if len(existing) > 1:
            raise BadRow(_("More than one mediator is called %(name)s at %(organisation)s; edit them on "
                           "the roster page.") % {"name": name, "organisation": organisation})
        current = existing[0] if existing else None
        values = {"team": team}
        if profession or current is None:
            values["profession"] = profession or Profession.OTHER
        if row["phone"]:
            values["phone"] = row["phone"]
        if account is not None:
            self._check_link(current, account)
            values["user_id"] = account.pk
        mediator, state = self._upsert(Mediator, {"name": name, "organisation": organisation}, values)
        served = set(mediator.communities.values_list("pk", flat=True))
        new_communities = [c for c in communities if c.pk not in served]
        if new_communities:
            mediator.communities.add(*new_communities)
        have = set(mediator.specialties.values_list("category", flat=True))
        new_categories = [c for c in dict.fromkeys(categories) if c not in have]
        for category in new_categories:
            Specialty(mediator=mediator, category=category).save()  # with its history row
        if account is not None and not account.groups.filter(name=Role.MEDIATOR).exists():
            services.give_role(user=account, role=Role.MEDIATOR)
        if (new_communities or new_categories) and state == UNCHANGED:
            state = UPDATED
        return [("mediator", state)]

    def _check_link(self, mediator, account) -> None:
        other = Mediator.objects.filter(user=account).exclude(pk=getattr(mediator, "pk", None)).first()
        if other is not None:
            raise BadRow(_("The account %(username)s is already linked to the mediator %(name)s.") % {
                "username": account.username, "name": other.name})
        if mediator is None or mediator.user_id == account.pk:
            return
        # The case access of a mediator's account follows her choices on cases: moving it is
        # mediators.services.save_mediator's job, with an acting leader, not an import's.
        if mediator.user_id is not None or MediatorChoice.objects.filter(mediator=mediator, active=True).exists():
            raise BadRow(_("%(name)s is on cases already; link her account on the roster page, which "
                           "moves her access to those cases with it.") % {"name": mediator.name})


def write_template(target) -> None:
    """Write the blank workbook (a path or a binary file): a notes sheet, then one sheet per kind
    with the headers of SHEETS (required ones in bold), a note on each header and a drop-down of
    the app's names where a column takes one."""
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    optional = workbook.add_format({"bg_color": "#EDEDED", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    notes = workbook.add_worksheet(NOTES_SHEET)
    notes.set_column(0, 0, 100, wrap)
    for line, text in enumerate([
        _("Fill in one sheet per kind and leave out the sheets you do not need. Columns are found by "
          "their header, in any order; other columns and sheets (like this one) are ignored."),
        _("Bold headers must be filled in. An empty optional cell keeps what the system already has."),
        _("Lists in one cell (grids covered, contact accounts, communities, specialties) are "
          "separated by 、 or a comma."),
        _("Importing again updates rows by their code (grids, police grids), their name (streets, "
          "communities within their street, stations, departments, mediators with their "
          "organisation) or their account: nothing is duplicated and nothing is removed."),
        _("If any row is wrong nothing is imported, and every wrong row is listed with its sheet "
          "and row number."),
        _("New accounts have no password: after the import the administrator hands out a "
          "first-sign-in link for each."),
    ]):
        notes.write(line, 0, text)
    for sheet in SHEETS:
        worksheet = workbook.add_worksheet(sheet.name)
        for index, column in enumerate(sheet.columns):
            worksheet.write(0, index, column.header, required if column.required else optional)
            worksheet.write_comment(0, index, str(column.help), {"x_scale": 2, "y_scale": 1.5})
            worksheet.set_column(index, index, 18 if column.key not in ("grids", "communities", "contacts") else 30)
            if column.choices is not None:
                worksheet.data_validation(1, index, 2000, index, {
                    "validate": "list", "source": _labels(column.choices), "error_type": "warning"})
        worksheet.freeze_panes(1, 0)
    workbook.close()
