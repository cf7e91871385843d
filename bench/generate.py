"""Grow a PostgreSQL database to a province's worth of places, accounts and ten years of cases.

    .venv/bin/python bench/generate.py --cases 1000000 --db postgres://postgres@127.0.0.1:5432/fq_bench

Creates the database when it is missing, runs `migrate`, then fills it with COPY (psycopg 3),
not the ORM, for benchmarks of the pages and the statistics at size:

- places: ~N/200 community grids (at least 40, at most 50 000; `--grids` overrides, first run
  only), ~25 per street in communities of 4-6, ~12 streets per district; one police station per
  street and one bureau per district; police grids covering 3 community grids each (GridLinks);
- accounts, placed with the guardian direct-FK permission rows and labelled with the role groups,
  all with one password (hashed once): two workers per grid, an officer and an auxiliary per
  police grid, a station, street, district and bureau leader each, and the superuser bench_admin.
  Usernames (the numbers are 1-based ordinals, in the order the places were created):
      bench_worker_<grid>_1, bench_worker_<grid>_2, bench_officer_<police grid>,
      bench_auxiliary_<police grid>, bench_station_<street>, bench_street_<street>,
      bench_district_<district>, bench_bureau_<district>, bench_admin
- cases over the last ten years (growth, seasons, weekdays, office hours; categories, channels
  and risks skewed as a street office sees them), with 1-3 parties, a timeline the workflow
  would have written (created, triage, each transition with data["level"] by
  cases.levels.level_of, referral updates, comments, the follow-up visit, closing), referrals to
  departments and follow-up visits; ~85 % resolved or closed, the rest open (recent ones, and
  old ones stuck: overdue, escalated, at the district) or withdrawn. Case numbers follow
  cases.workflow.allocate_number (prefix-year-sequence) and CaseSequence is kept in step.

Resumable: `--cases N` on a database holding M < N cases adds N - M (each chunk is one
transaction, its case numbers' sequences included). Generation runs in a child process while
this one feeds PostgreSQL, in chunks, so memory stays bounded whatever N. Ends with VACUUM (ANALYZE).
Not generated: mediators, mediation sessions and agreements (mediated cases resolve as settled
without a written agreement), calls, tasks, meetings, incidents, notifications, history rows.
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
import traceback
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True, help="total cases wanted in the database")
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"),
                        help="postgres://user@host:port/name (created when missing)")
    parser.add_argument("--grids", type=int, help="community grids (first run only; default ~cases/200)")
    parser.add_argument("--chunk", type=int, default=10_000, help="cases per transaction")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--password", default=os.environ.get("BENCH_PASSWORD", "bench-password-2024"),
                        help="every bench account's password")
    parser.add_argument("--in-process", action="store_true", help="generate in this process (slower)")
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith(("postgres://", "postgresql://")):
        parser.error("--db must be a postgres:// URL")
    return args


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist (through the server's `postgres` database)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = params.get("dbname")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


if __name__ == "__main__":
    ARGS = _parse_args()
    os.environ["DATABASE_URL"] = ARGS.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DB_POOL"] = "0"  # one plain connection; the pool is for the web workers
    ensure_database(ARGS.db)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cases.addresses import address_key  # noqa: E402
from cases.choices import (  # noqa: E402
    Category,
    Channel,
    DepartmentKind,
    EventKind,
    PartyRole,
    ReferralStatus,
    Risk,
    Satisfaction,
    State,
    Tier,
)
from cases.levels import level_of  # noqa: E402
from cases.loop import keep_follow_up_due  # noqa: E402
from cases.models import Case, CaseEvent, CaseSequence, Department, FollowUp, Party, Referral  # noqa: E402
from grids.models import (  # noqa: E402
    Community,
    CommunityGrid,
    CommunityGridUserObjectPermission,
    District,
    DistrictUserObjectPermission,
    GridLink,
    PoliceBureau,
    PoliceBureauUserObjectPermission,
    PoliceGrid,
    PoliceGridUserObjectPermission,
    PoliceStation,
    PoliceStationUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)
from grids.roles import Role  # noqa: E402

User = get_user_model()
ADMIN_USERNAME = "bench_admin"
GRID_CODE_PREFIX = "BG"
GRIDS_PER_STREET, STREETS_PER_DISTRICT, GRIDS_PER_POLICE_GRID = 25, 12, 3
YEARS = 10
DAY, HOUR = 86400, 3600
LOCAL_OFFSET = 8 * HOUR  # Asia/Shanghai, no daylight saving


def grids_for(cases: int) -> int:
    return max(40, min(50_000, round(cases / 200)))


# --- COPY --------------------------------------------------------------------------------------


def esc(value: str) -> str:
    """Text for COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


NULL = "\\N"


def ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ", timespec="seconds")


def ts_or_null(epoch: float | None) -> str:
    return NULL if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ", timespec="seconds")


def local_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch + LOCAL_OFFSET, UTC).date().isoformat()


class Table:
    """A COPY target: the columns we write, in order, then every other column of the model at
    its Django default (COPY applies only database defaults). Refuses a NOT NULL column with no
    default that we do not write, so a new field fails here rather than in PostgreSQL."""

    def __init__(self, model, columns: list[str]):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise RuntimeError(f"{model.__name__} has no field {sorted(unknown)}")
        self.name = model._meta.db_table
        self.model = model
        names = [fields[c].column for c in columns]
        constants = []
        for attname, f in fields.items():
            if attname in columns or f.primary_key:
                continue
            value = None if f.null else f.get_default()
            if value is None and not f.null:
                raise RuntimeError(f"bench/generate.py does not write {model.__name__}.{attname} (NOT NULL)")
            names.append(f.column)
            constants.append(self._text(f.get_db_prep_save(value, connection)))
        self.suffix = "".join("\t" + c for c in constants) + "\n"
        self.sql = f"COPY {self.name} ({', '.join(names)}) FROM STDIN"

    @staticmethod
    def _text(value) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, (dict, list)):
            return esc(json.dumps(value, ensure_ascii=False))
        return esc(str(value))

    def line(self, *values) -> str:
        """One row from already-escaped text values (NULL for NULL)."""
        return "\t".join(values) + self.suffix

    def copy(self, cursor, data: bytes) -> None:
        if data:
            with cursor.copy(self.sql) as copy:
                copy.write(data)


def _reset_sequence(cursor, model) -> None:
    table = model._meta.db_table
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"GREATEST((SELECT max(id) FROM {table}), 1))")


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


# --- vocabularies of the generated data -----------------------------------------------------------

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂建华文红梅玉志国庆海燕丹萍鹏辉斌宇浩凯健俊帆婷雪琳晨阳"
         "欣怡轩涵雨泽佳宁思远嘉德福春金荣秋菊凤永利忠林佩")
PLACE_CHARS = ("江河湖山峰岭桥湾塘溪浦港泉林枫松柏梅兰竹荷桃杏柳杨桂樟凤龙鹤燕鹭麟云霞星月阳春秋明清华光新"
               "安宁康平和泰丰盛兴隆昌盈福瑞祥嘉善德仁义信文武东西南北中上前金银玉石田苑")
ROAD_SUFFIXES = ("路", "街", "大道", "巷", "弄")
REGIONS = ("330102", "330105", "330106", "330108", "330110", "330122", "330183", "330402", "330603",
           "320102", "340104", "360102", "410105", "420106", "510107", "430105")
CHECK = "10X98765432"
WEIGHTS17 = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

TITLES = {
    Category.NEIGHBOUR: ("楼上漏水致楼下天花板受损", "邻居装空调外机噪音扰民", "楼道堆放杂物引发邻里争执",
                         "宠物狗夜间吠叫扰民", "公共区域私搭乱建引发矛盾"),
    Category.FAMILY: ("赡养老人费用分担纠纷", "夫妻因家庭琐事发生争吵", "兄弟姐妹遗产分割纠纷", "离婚后子女抚养费纠纷"),
    Category.PROPERTY_MGMT: ("业主拒交物业费纠纷", "小区停车位分配争议", "电梯长期故障业主投诉物业", "物业维修基金使用争议"),
    Category.RENTAL: ("房东不退押金纠纷", "租客拖欠房租纠纷", "群租房噪音及安全隐患", "租赁合同提前解约纠纷"),
    Category.LABOUR: ("农民工讨要拖欠工资", "员工被辞退经济补偿纠纷", "工伤待遇认定争议", "装修工人工钱结算纠纷"),
    Category.CONSUMER: ("预付卡商家跑路退费纠纷", "网购商品质量退换纠纷", "餐馆消费收费争议", "培训机构退费纠纷"),
    Category.DEBT: ("民间借贷到期未还", "朋友借款拒不归还", "货款结算拖欠纠纷"),
    Category.TRAFFIC: ("电动自行车刮擦赔偿纠纷", "小区内车辆剐蹭纠纷", "交通事故医疗费赔偿争议"),
    Category.MEDICAL: ("诊所治疗效果争议", "药店售药纠纷", "住院费用结算纠纷"),
    Category.LAND: ("宅基地界址争议", "征迁补偿标准争议", "承包地流转纠纷"),
    Category.RENOVATION: ("装修噪音超时施工", "装修破坏承重墙引发争议", "装修公司工期延误纠纷", "装修渗水殃及邻居"),
    Category.OTHER: ("广场舞噪音扰民", "小区电动车充电纠纷", "公共绿地被占用种菜"),
}
RESOLUTIONS = ("经网格员和社区民警现场调解，双方达成一致，当场履行完毕。",
               "经多次上门做工作，双方各让一步，按协商方案履行，矛盾化解。",
               "调解员组织双方面对面协商，确定赔偿金额并约定分期支付。",
               "经联合调处，责任方承认过错并赔礼道歉，对方表示谅解。",
               "相关部门介入处理，问题已整改到位，当事人表示满意。")
ESCALATIONS = ("双方分歧较大，网格层面难以化解，提请街道和派出所联合调处。",
               "涉及人数较多，存在矛盾激化风险，需要街道统筹协调。",
               "当事人情绪激动，多次调解未果，申请上级介入。")
COMMENTS = ("已电话联系申请人，约定明日上门。", "已走访被申请人，了解情况。", "双方同意下周再次协商。",
            "已联系物业公司负责人到场。", "当事人情绪平稳，继续跟进。", "已调取监控核实情况。")
REQUESTS = ("请依职责核查处理并反馈结果。", "请协助核实相关情况并出具意见。", "请予以执法检查，督促整改。")
FEEDBACK = ("已现场核查并责令整改，整改完毕。", "已组织双方协商，达成处理意见。", "经核实，已按规定处理完毕。")
WITHDRAWALS = ("双方已自行和解，申请人撤回。", "申请人表示不再追究。", "经核实为重复登记。")
DEPARTMENTS = (
    ("区住房和城乡建设局", DepartmentKind.HOUSING), ("区人力资源和社会保障局", DepartmentKind.LABOUR),
    ("区市场监督管理局", DepartmentKind.MARKET), ("区司法局", DepartmentKind.JUSTICE),
    ("区人民法院诉调对接中心", DepartmentKind.COURT), ("区劳动人事争议仲裁委员会", DepartmentKind.ARBITRATION),
    ("区交通运输局", DepartmentKind.OTHER), ("区卫生健康局", DepartmentKind.OTHER),
    ("区自然资源和规划分局", DepartmentKind.OTHER),
)
DEPARTMENT_FOR = {
    Category.PROPERTY_MGMT: 0, Category.RENOVATION: 0, Category.RENTAL: 0, Category.NEIGHBOUR: 0,
    Category.LABOUR: 1, Category.CONSUMER: 2, Category.FAMILY: 3, Category.OTHER: 3, Category.DEBT: 4,
    Category.TRAFFIC: 6, Category.MEDICAL: 7, Category.LAND: 8,
}

# Share of cases by category, and the months that bring more of some (local months 1-12).
CATEGORY_WEIGHTS = {
    Category.NEIGHBOUR: 24, Category.FAMILY: 13, Category.PROPERTY_MGMT: 12, Category.RENTAL: 8,
    Category.LABOUR: 10, Category.CONSUMER: 6, Category.DEBT: 8, Category.TRAFFIC: 5, Category.MEDICAL: 2,
    Category.LAND: 2, Category.RENOVATION: 6, Category.OTHER: 4,
}
SEASONAL = {
    Category.LABOUR: {12: 2.0, 1: 2.4, 2: 1.4},        # wages before the Spring Festival
    Category.NEIGHBOUR: {6: 1.3, 7: 1.4, 8: 1.4},      # open windows, air conditioners
    Category.FAMILY: {2: 1.4, 10: 1.2},                # after the family gatherings
    Category.RENOVATION: {3: 1.3, 4: 1.3, 5: 1.2, 9: 1.2, 10: 1.2},
    Category.RENTAL: {7: 1.3, 8: 1.3},                 # graduates move
}
MONTH_VOLUME = {1: 1.12, 2: 0.72, 3: 0.95, 4: 1.0, 5: 1.0, 6: 1.05, 7: 1.12, 8: 1.1, 9: 1.0, 10: 0.88,
                11: 0.98, 12: 1.08}
WEEKDAY_VOLUME = (1.05, 1.0, 1.0, 1.0, 1.02, 0.72, 0.62)
HOUR_VOLUME = (1, .5, .3, .3, .3, .5, 1, 3, 7, 10, 10, 9, 6, 7, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2)
GROWTH = 0.11  # a year: more cases logged as the system spreads

CHANNEL_WEIGHTS = {
    Channel.GRID_VISIT: 30, Channel.INCIDENT_110: 24, Channel.WALK_IN: 18, Channel.POLICE_WORK: 12,
    Channel.ONLINE: 5, Channel.UNIT_LEAD: 4, Channel.JOINT_MEETING: 3, Channel.VOLUNTEER: 4,
}
# traffic and family rows come more often through 110
CHANNEL_110_HEAVY = {Category.TRAFFIC, Category.FAMILY, Category.DEBT}
RISK_WEIGHTS = {"normal": (80, 16, 4), "hard": (60, 30, 10)}
HARD = {Category.LABOUR, Category.LAND, Category.MEDICAL}
TIER_WEIGHTS = {Risk.GENERAL: (55, 30, 12, 3), Risk.SERIOUS: (15, 30, 35, 20), Risk.MAJOR: (0, 0, 30, 70)}
TIERS = (Tier.GRID, Tier.POLICE_ROOM, Tier.JOINT, Tier.STREET)
# How a case goes after triage: on the spot, mediated, escalated and resolved by the street,
# escalated then mediated, referred to a department, raised to the district (kept or sent back).
PATHS = ("spot", "mediate", "escalate", "escalate_mediate", "refer", "district", "district_back")
PATH_WEIGHTS = {
    Tier.GRID: (55, 33, 4, 3, 3, 1, 1), Tier.POLICE_ROOM: (50, 36, 5, 3, 4, 1, 1),
    Tier.JOINT: (0, 68, 9, 8, 10, 3, 2), Tier.STREET: (0, 28, 22, 15, 23, 7, 5),
}
DUE_SECONDS = {Risk.GENERAL: 14 * DAY, Risk.SERIOUS: 7 * DAY, Risk.MAJOR: DAY}
SATISFACTIONS = (Satisfaction.VERY, Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.NEUTRAL,
                 Satisfaction.DISSATISFIED)


def cumulative(weights):
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


# --- places and accounts ----------------------------------------------------------------------------


def _place_bases(rng, count, taken):
    """`count` distinct two-character names, none of them in `taken` (a predicate)."""
    chars = list(PLACE_CHARS)
    pairs = [a + b for a in chars for b in chars if a != b]
    rng.shuffle(pairs)
    out = [p for p in pairs if not taken(p)][:count]
    if len(out) < count:
        raise RuntimeError("ran out of place names")
    return out


def _person(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def build_places(*, grid_count: int, seed: int, password: str, progress: bool) -> None:
    """Create the places, the accounts and their roles: one transaction, COPY throughout."""
    rng = random.Random(seed)
    street_count = math.ceil(grid_count / GRIDS_PER_STREET)
    district_count = math.ceil(street_count / STREETS_PER_DISTRICT)
    used = {
        "street": set(Street.objects.values_list("name", flat=True)) | set(Street.objects.values_list("prefix", flat=True)),
        "station": set(PoliceStation.objects.values_list("name", flat=True)),
        "district": set(District.objects.values_list("name", flat=True)),
        "bureau": set(PoliceBureau.objects.values_list("name", flat=True)),
    }
    street_bases = _place_bases(rng, street_count, lambda b: b + "街道" in used["street"] or b in used["street"]
                                or b + "派出所" in used["station"])
    district_bases = _place_bases(rng, district_count, lambda b: b + "区" in used["district"]
                                  or b + "公安分局" in used["bureau"])
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="grids")}
    groups = {g.name: g.pk for g in Group.objects.filter(name__in=Role.values)}
    for role in Role.values:
        if role not in groups:
            groups[role] = Group.objects.get_or_create(name=role)[0].pk
    hashed = make_password(password)
    joined = ts(time.time() - (YEARS + 1) * 365 * DAY)

    ids = {m: _next_id(m) for m in (District, PoliceBureau, Street, Community, CommunityGrid, PoliceStation,
                                     PoliceGrid, User)}

    def new_id(model):
        ids[model] += 1
        return ids[model] - 1

    rows = {name: [] for name in ("district", "bureau", "street", "community", "grid", "station", "pgrid",
                                  "link", "user", "groups", "p_grid", "p_pgrid", "p_station", "p_street",
                                  "p_district", "p_bureau")}
    t = {
        "district": Table(District, ["id", "name"]),
        "bureau": Table(PoliceBureau, ["id", "name", "district_id"]),
        "street": Table(Street, ["id", "name", "district_id", "prefix"]),
        "community": Table(Community, ["id", "street_id", "name"]),
        "grid": Table(CommunityGrid, ["id", "community_id", "name", "code"]),
        "station": Table(PoliceStation, ["id", "name", "bureau_id"]),
        "pgrid": Table(PoliceGrid, ["id", "station_id", "name", "code", "post_name"]),
        "link": Table(GridLink, ["police_grid_id", "community_grid_id"]),
        "user": Table(User, ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
                             "is_staff", "is_active", "date_joined"]),
        "groups": Table(User.groups.through, ["user_id", "group_id"]),
        "p_grid": Table(CommunityGridUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
        "p_pgrid": Table(PoliceGridUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
        "p_station": Table(PoliceStationUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
        "p_street": Table(StreetUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
        "p_district": Table(DistrictUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
        "p_bureau": Table(PoliceBureauUserObjectPermission, ["content_object_id", "permission_id", "user_id"]),
    }

    def user(username, role, superuser=False):
        pk = new_id(User)
        rows["user"].append(t["user"].line(str(pk), esc(hashed), "t" if superuser else "f", username,
                                           _person(rng), "", f"{username}@bench.invalid",
                                           "t" if superuser else "f", "t", joined))
        if role:
            rows["groups"].append(t["groups"].line(str(pk), str(groups[role])))
        return pk

    def place(kind, obj_id, codename, user_id):
        rows[kind].append(t[kind].line(str(obj_id), str(perm[codename]), str(user_id)))

    user(ADMIN_USERNAME, Role.ADMIN, superuser=True)
    grid_no = pgrid_no = 0
    districts = []
    for d, base in enumerate(district_bases, start=1):
        did, bid = new_id(District), new_id(PoliceBureau)
        rows["district"].append(t["district"].line(str(did), base + "区"))
        rows["bureau"].append(t["bureau"].line(str(bid), base + "公安分局", str(did)))
        place("p_district", did, "lead_district", user(f"bench_district_{d}", Role.DISTRICT_LEADER))
        place("p_bureau", bid, "lead_policebureau", user(f"bench_bureau_{d}", Role.BUREAU_LEADER))
        districts.append((did, bid))
    per_street = [grid_count // street_count + (1 if s < grid_count % street_count else 0)
                  for s in range(street_count)]
    for s, (base, n_grids) in enumerate(zip(street_bases, per_street), start=1):
        did, bid = districts[(s - 1) // STREETS_PER_DISTRICT]
        sid, stid = new_id(Street), new_id(PoliceStation)
        rows["street"].append(t["street"].line(str(sid), base + "街道", str(did), base))
        rows["station"].append(t["station"].line(str(stid), base + "派出所", str(bid)))
        place("p_street", sid, "lead_street", user(f"bench_street_{s}", Role.STREET_LEADER))
        place("p_station", stid, "lead_policestation", user(f"bench_station_{s}", Role.STATION_LEADER))
        sizes = []
        while sum(sizes) < n_grids:
            sizes.append(min(rng.randint(4, 6), n_grids - sum(sizes)))
        if len(sizes) > 1 and sizes[-1] < 4:  # spread a short tail over the others
            tail = sizes.pop()
            for i in range(tail):
                sizes[i % len(sizes)] += 1
        community_names = _place_bases(rng, len(sizes), lambda b: False)
        street_grids = []
        for c, (cname, size) in enumerate(zip(community_names, sizes), start=1):
            cid = new_id(Community)
            rows["community"].append(t["community"].line(str(cid), str(sid), cname + "社区"))
            for k in range(1, size + 1):
                gid = new_id(CommunityGrid)
                grid_no += 1
                rows["grid"].append(t["grid"].line(str(gid), str(cid), f"{cname}第{k}网格",
                                                   f"{GRID_CODE_PREFIX}{s:04d}-{c:02d}-{k:02d}"))
                for w in (1, 2):
                    place("p_grid", gid, "work_in_communitygrid", user(f"bench_worker_{grid_no}_{w}", Role.WORKER))
                street_grids.append((gid, cname))
        for p in range(0, len(street_grids), GRIDS_PER_POLICE_GRID):
            covered = street_grids[p:p + GRIDS_PER_POLICE_GRID]
            pid = new_id(PoliceGrid)
            pgrid_no += 1
            n = p // GRIDS_PER_POLICE_GRID + 1
            rows["pgrid"].append(t["pgrid"].line(str(pid), str(stid), f"{base}第{n}警务区",
                                                 f"{GRID_CODE_PREFIX}J{s:04d}-{n:03d}", f"{covered[0][1]}警务室"))
            for gid, _cname in covered:
                rows["link"].append(t["link"].line(str(pid), str(gid)))
            place("p_pgrid", pid, "police_policegrid", user(f"bench_officer_{pgrid_no}", Role.OFFICER))
            place("p_pgrid", pid, "assist_policegrid", user(f"bench_auxiliary_{pgrid_no}", Role.AUXILIARY))

    order = ["district", "bureau", "street", "community", "grid", "station", "pgrid", "link", "user", "groups",
             "p_grid", "p_pgrid", "p_station", "p_street", "p_district", "p_bureau"]
    with transaction.atomic(), connection.cursor() as cursor:
        for position, name in enumerate(order):
            with tqdm(total=len(rows[name]), desc=f"{t[name].name:<45}", unit=" rows", disable=not progress,
                      leave=True) as bar:
                t[name].copy(cursor, "".join(rows[name]).encode())
                bar.update(len(rows[name]))
        for model in ids:
            _reset_sequence(cursor, model)
        for name in ("link", "groups", "p_grid", "p_pgrid", "p_station", "p_street", "p_district", "p_bureau"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{t[name].name}', 'id'), "
                           f"GREATEST((SELECT max(id) FROM {t[name].name}), 1))")
        for name, kind in DEPARTMENTS:
            Department.objects.get_or_create(name=name, defaults={"kind": kind})


@dataclass
class GridInfo:
    id: int
    street: int          # street id
    prefix: str
    road: str
    workers: tuple
    officer: int
    auxiliary: int
    station_leader: int
    street_leader: int
    district_leader: int


@dataclass
class Places:
    grids: list
    names: dict           # user id -> display name (the timeline stores names)
    departments: list     # (id, name)
    sequences: dict = field(default_factory=dict)  # (street id, year) -> last number


def load_places() -> Places:
    """Read the bench places and their people back (first run and resumed runs alike)."""
    grids = list(CommunityGrid.objects.filter(code__startswith=GRID_CODE_PREFIX)
                 .values_list("id", "community__street_id", "community__street__prefix", "community__name",
                              "community__street__district_id").order_by("id"))
    if not grids:
        raise RuntimeError("no bench places in this database")

    def held(model, codename):
        out = {}
        for obj, uid in (model.objects.filter(permission__codename=codename, user__username__startswith="bench_")
                         .values_list("content_object_id", "user_id").order_by("user_id")):
            out.setdefault(obj, []).append(uid)
        return out

    workers = held(CommunityGridUserObjectPermission, "work_in_communitygrid")
    officers = held(PoliceGridUserObjectPermission, "police_policegrid")
    auxiliaries = held(PoliceGridUserObjectPermission, "assist_policegrid")
    station_leads = held(PoliceStationUserObjectPermission, "lead_policestation")
    street_leads = held(StreetUserObjectPermission, "lead_street")
    district_leads = held(DistrictUserObjectPermission, "lead_district")
    police_grid_of = dict(GridLink.objects.filter(community_grid__code__startswith=GRID_CODE_PREFIX)
                          .values_list("community_grid_id", "police_grid_id"))
    station_of = dict(PoliceGrid.objects.filter(code__startswith=GRID_CODE_PREFIX).values_list("id", "station_id"))
    infos = []
    for gid, sid, prefix, community, did in grids:
        pg = police_grid_of[gid]
        infos.append(GridInfo(
            id=gid, street=sid, prefix=prefix, road=community + ROAD_SUFFIXES[gid % len(ROAD_SUFFIXES)],
            workers=tuple(workers[gid]), officer=officers[pg][0], auxiliary=auxiliaries[pg][0],
            station_leader=station_leads[station_of[pg]][0], street_leader=street_leads[sid][0],
            district_leader=district_leads[did][0]))
    names = {pk: (first or username) for pk, username, first in
             User.objects.filter(username__startswith="bench_").values_list("id", "username", "first_name")}
    departments = list(Department.objects.filter(name__in=[n for n, _ in DEPARTMENTS])
                       .values_list("name", "id"))
    by_name = dict(departments)
    street_ids = {g.street for g in infos}
    sequences = {(s, y): last for s, y, last in
                 CaseSequence.objects.filter(street_id__in=street_ids).values_list("street_id", "year", "last")}
    return Places(grids=infos, names=names, departments=[(by_name[n], n) for n, _ in DEPARTMENTS],
                  sequences=sequences)


# --- cases ---------------------------------------------------------------------------------------


TABLES = {}


def case_tables() -> dict:
    if not TABLES:
        TABLES.update(
            case=Table(Case, [
                "id", "number", "title", "category", "description", "occurred_at", "reported_at", "address",
                "address_key", "grid_id", "channel", "incident_number", "risk", "tier", "lead_handler_id",
                "due_at", "resolution", "settled_without_agreement", "escalation_reason", "at_district",
                "referred_to", "withdrawal_reason", "merged_into_id", "state", "intake_token", "version",
                "triaged_at", "resolved_at", "closed_at", "created_by_id", "created_at", "updated_at"]),
            party=Table(Party, ["case_id", "name", "role", "phone", "id_number", "address", "notes"]),
            event=Table(CaseEvent, ["case_id", "kind", "actor_id", "at", "action", "from_state", "to_state", "note",
                                    "data"]),
            referral=Table(Referral, ["case_id", "department_id", "request", "deadline", "status", "feedback",
                                      "decision_note", "contact_id", "sent_by_id", "sent_at", "received_at",
                                      "closed_at"]),
            followup=Table(FollowUp, ["case_id", "due_on", "done_at", "done_by_id", "fulfilled", "satisfaction",
                                      "note"]),
        )
    return TABLES


@dataclass
class Chunk:
    data: dict          # table key -> bytes for COPY
    rows: dict          # table key -> row count
    sequences: dict     # (street id, year) -> last number, for the streets and years this chunk used
    cases: int
    last_case_id: int


class CaseGenerator:
    """Cases, their parties, timelines, referrals and follow-ups, as COPY text, chunk by chunk.
    Reported times are stratified over the ten-year curve: chunk after chunk moves forward in
    time, so case numbers grow with the date as allocate_number would have given them."""

    def __init__(self, places: Places, *, now: float, seed: int):
        self.p = places
        self.now = now
        self.seed = seed
        self.t = case_tables()
        self.start = now - YEARS * 365.25 * DAY
        # days (local) of the ten years, weighted by growth, month and weekday
        first_day = int((self.start + LOCAL_OFFSET) // DAY)
        last_day = int((now + LOCAL_OFFSET) // DAY)
        self.day0 = first_day
        noise = random.Random(seed)
        weights = []
        for day in range(first_day, last_day + 1):
            d = datetime.fromtimestamp(day * DAY, UTC)
            years = (day - first_day) / 365.25
            weights.append(math.exp(GROWTH * years) * MONTH_VOLUME[d.month] * WEEKDAY_VOLUME[d.weekday()]
                           * (0.85 + 0.3 * noise.random()))
        self.day_cum = cumulative(weights)
        self.hour_cum = cumulative(HOUR_VOLUME)
        cats = list(CATEGORY_WEIGHTS)
        self.cats = cats
        self.cat_cum = {m: cumulative([CATEGORY_WEIGHTS[c] * SEASONAL.get(c, {}).get(m, 1.0) for c in cats])
                        for m in range(1, 13)}
        channels = list(CHANNEL_WEIGHTS)
        self.channels = channels
        self.chan_cum = cumulative(CHANNEL_WEIGHTS.values())
        self.chan_cum_110 = cumulative([w * (3 if c == Channel.INCIDENT_110 else 1) for c, w in CHANNEL_WEIGHTS.items()])
        self.risks = (Risk.GENERAL, Risk.SERIOUS, Risk.MAJOR)
        self.risk_cum = {k: cumulative(v) for k, v in RISK_WEIGHTS.items()}
        self.tier_cum = {r: cumulative(v) for r, v in TIER_WEIGHTS.items()}
        self.path_cum = {t: cumulative(v) for t, v in PATH_WEIGHTS.items()}
        # busier and quieter grids (a long tail), fixed by the seed
        gw = random.Random(seed + 1)
        self.grid_cum = cumulative([gw.lognormvariate(0, 0.6) for _ in places.grids])
        self.level = {}
        self.keys = {}
        self.sequences = dict(places.sequences)

    def _level(self, state, tier, at_district):
        key = (state, tier, at_district)
        if key not in self.level:
            self.level[key] = str(level_of(state=state, tier=tier, at_district=at_district))
        return self.level[key]

    def _key(self, address_head):
        """address_key of every address that starts with this building and unit (cached)."""
        key = self.keys.get(address_head)
        if key is None:
            key = self.keys[address_head] = address_key(address_head + "101室")
        return key

    def chunks(self, *, count: int, first_id: int, chunk: int):
        done = 0
        while done < count:
            n = min(chunk, count - done)
            yield self.chunk(first_id=first_id + done, first_index=done, n=n, total=count)
            done += n

    def chunk(self, *, first_id, first_index, n, total) -> Chunk:
        rng = random.Random(self.seed * 1_000_003 + first_id)
        r = rng.random

        def rint(a, b):  # random.randint without its three Python calls
            return a + int(r() * (b - a + 1))

        def choice(seq):
            return seq[int(r() * len(seq))]

        t = self.t
        out = {k: [] for k in t}
        used = {}
        grids, grid_cum, gtotal = self.p.grids, self.grid_cum, self.grid_cum[-1]
        day_cum, dtotal = self.day_cum, self.day_cum[-1]
        hour_cum, htotal = self.hour_cum, self.hour_cum[-1]
        names = self.p.names
        dumps = json.dumps
        now = self.now
        for k in range(n):
            cid = first_id + k
            # when: the (first_index + k)-th of `total` quantiles of the ten-year curve
            u = (first_index + k + r()) / total
            day = bisect(day_cum, u * dtotal)
            hour = bisect(hour_cum, r() * htotal)
            reported = (self.day0 + day) * DAY - LOCAL_OFFSET + hour * HOUR + rint(0, 3599)
            if reported > now - 600:
                reported = now - 600 - r() * 3 * HOUR
            local = datetime.fromtimestamp(reported + LOCAL_OFFSET, UTC)
            g = grids[bisect(grid_cum, r() * gtotal)]
            cat = self.cats[bisect(self.cat_cum[local.month], r() * self.cat_cum[local.month][-1])]
            chan_cum = self.chan_cum_110 if cat in CHANNEL_110_HEAVY else self.chan_cum
            channel = self.channels[bisect(chan_cum, r() * chan_cum[-1])]
            rc = self.risk_cum["hard" if cat in HARD else "normal"]
            risk = self.risks[bisect(rc, r() * rc[-1])]
            tc = self.tier_cum[risk]
            tier = TIERS[bisect(tc, r() * tc[-1])]
            police = channel in (Channel.INCIDENT_110, Channel.POLICE_WORK)
            creator = g.officer if police else choice(g.workers)
            # number
            skey = (g.street, local.year)
            last = self.sequences.get(skey, 0) + 1
            self.sequences[skey] = used[skey] = last
            number = f"{g.prefix}-{local.year}-{last:06d}"
            # where
            no, bld, unit = 1 + (g.id * 7 + rint(0, 29)) % 300, rint(1, 12), rint(1, 4)
            head = f"{g.road}{no}号{bld}幢{unit}单元"
            address = f"{head}{rint(1, 18)}{rint(1, 4):02d}室"
            title = choice(TITLES[cat])
            # timeline
            events = out["event"]
            ev_line = t["event"].line
            created = reported + (0 if channel == Channel.WALK_IN else rint(60, 2400))
            events.append(ev_line(str(cid), EventKind.CREATED, str(creator), ts(created), "", "", State.REPORTED,
                                  "", dumps({"channel": channel, "risk": risk})))
            state, at_district, version = State.REPORTED, False, 1
            lead = None
            due = created + DUE_SECONDS[risk]
            triaged_at = resolved_at = closed_at = None
            resolution = escalation = referred_to = withdrawal = ""
            settled = False
            last_at = created
            # Old cases sometimes stall (overdue, on the ledger); the recent ones are open because
            # their next step has not come yet.
            stuck = r() < 0.115
            fate = r()
            steps = []  # (at, action, from, to, actor, data, note)

            case_tier = ""  # until triage

            def step(at, action, to, actor, data, note=""):
                nonlocal state, version, last_at
                data["level"] = self._level(to, case_tier, at_district)
                steps.append((at, action, state, to, actor, data, note))
                state, version, last_at = to, version + 1, at

            triage_at = created + (r() * 3 * HOUR if risk == Risk.MAJOR else rint(1800, 48 * HOUR))
            if fate < 0.03:  # withdrawn before or after triage
                if r() < 0.5 and triage_at < now:
                    lead, case_tier = self._lead(g, tier, rng), tier
                    triaged_at, due = triage_at, triage_at + DUE_SECONDS[risk]
                    step(triage_at, "triage", State.TRIAGED, self._triager(g, tier, rng),
                         self._triage_data(cat, risk, tier, names[lead], due))
                at = last_at + rint(HOUR, 10 * DAY)
                if at < now:
                    withdrawal = choice(WITHDRAWALS)
                    step(at, "withdraw", State.WITHDRAWN, lead or creator, {"withdrawal_reason": withdrawal})
                    closed_at = at
            elif triage_at < now:
                lead, case_tier = self._lead(g, tier, rng), tier
                triaged_at, due = triage_at, triage_at + DUE_SECONDS[risk]
                step(triage_at, "triage", State.TRIAGED, self._triager(g, tier, rng),
                     self._triage_data(cat, risk, tier, names[lead], due))
                pc = self.path_cum[tier]
                path = PATHS[bisect(pc, r() * pc[-1])]
                # how long it takes, against the time allowed: mostly within it, some late
                span = (due - triage_at) * rng.lognormvariate(-0.75, 0.6)
                plan = self._plan(path, g, lead, rng)
                end_at = triage_at + max(span, 600)
                stall = rint(0, len(plan) - 1) if stuck else len(plan) + 1  # stuck: stops before resolving
                at = triage_at
                referral = None
                for i, (action, to, actor, frac) in enumerate(plan):
                    at = max(at + 300, triage_at + (end_at - triage_at) * frac) if action not in (
                        "resolve", "settle_on_spot") else max(at + 600, end_at)
                    if at >= now or i >= stall:
                        break
                    if r() < 0.3 and i > 0:  # a remark on the way
                        c_at = (last_at + at) / 2
                        events.append(ev_line(str(cid), EventKind.COMMENT, str(lead), ts(c_at), "", "", "",
                                              choice(COMMENTS), "{}"))
                    data = {}
                    note = ""
                    if action == "escalate":
                        escalation = data["escalation_reason"] = choice(ESCALATIONS)
                    elif action == "refer":
                        dep_id, dep_name = self.p.departments[DEPARTMENT_FOR[cat]]
                        referred_to = data["referred_to"] = dep_name
                        referral = [dep_id, dep_name, at, None, None]
                    elif action == "raise_to_district":
                        at_district, note = True, "街道调处未果，提请区矛调中心提级化解。"
                    elif action == "send_back":
                        at_district, note = False, "请街道继续牵头化解，区中心跟踪指导。"
                    elif action in ("resolve", "settle_on_spot"):
                        resolution = data["resolution"] = choice(RESOLUTIONS)
                        if action == "resolve":
                            settled = state == State.MEDIATING  # no written agreement in the bench data
                            data["settled_without_agreement"] = settled
                        else:
                            settled = True
                        if referral is not None:
                            received = referral[2] + rint(HOUR, 2 * DAY)
                            handled = max(received + HOUR, at - rint(HOUR, 2 * DAY))
                            if handled < at:
                                referral[3], referral[4] = received, handled
                                for when, status in ((received, ReferralStatus.RECEIVED),
                                                     (handled, ReferralStatus.HANDLED)):
                                    events.append(ev_line(str(cid), EventKind.REFERRAL, str(g.street_leader), ts(when),
                                                          "", "", "", "", dumps({"department": referral[1],
                                                                                 "status": status},
                                                                                ensure_ascii=False)))
                        resolved_at = at
                    step(at, action, to, actor, data, note)
                if referral is not None:
                    status = ReferralStatus.HANDLED if referral[4] else (
                        ReferralStatus.RECEIVED if referral[2] + DAY < now and r() < 0.7 else ReferralStatus.SENT)
                    if status == ReferralStatus.RECEIVED:
                        referral[3] = referral[2] + rint(HOUR, DAY)
                        events.append(ev_line(str(cid), EventKind.REFERRAL, str(g.street_leader), ts(referral[3]),
                                              "", "", "", "", dumps({"department": referral[1], "status": status},
                                                                    ensure_ascii=False)))
                    out["referral"].append(t["referral"].line(
                        str(cid), str(referral[0]), choice(REQUESTS), local_date(referral[2] + 10 * DAY), status,
                        choice(FEEDBACK) if referral[4] else "", "", NULL, str(g.street_leader), ts(referral[2]),
                        ts_or_null(referral[3]), ts_or_null(referral[4])))
                if state == State.RESOLVED:
                    due_on = resolved_at + 7 * DAY
                    visit = due_on + rint(-3 * DAY, 3 * DAY)
                    visitor = choice(g.workers)
                    if visit < now and r() > 0.04:  # a few visits never made: resolved, not closed
                        satisfaction = choice(SATISFACTIONS)
                        out["followup"].append(t["followup"].line(
                            str(cid), local_date(due_on), ts(visit), str(visitor), "t", satisfaction,
                            "当事人表示协议已履行，无新的矛盾。"))
                        events.append(ev_line(str(cid), EventKind.FOLLOW_UP, str(visitor), ts(visit), "", "", "",
                                              "", dumps({"fulfilled": True, "satisfaction": satisfaction})))
                        last_at = visit
                        close_at = visit + rint(HOUR, 2 * DAY)
                        if close_at < now:
                            step(close_at, "close", State.CLOSED, lead, {})
                            closed_at = close_at
                    else:
                        out["followup"].append(t["followup"].line(str(cid), local_date(due_on), NULL, NULL, NULL,
                                                                  "", ""))
            for at, action, from_state, to_state, actor, data, note in steps:
                events.append(ev_line(str(cid), EventKind.TRANSITION, str(actor), ts(at), action, from_state,
                                      to_state, note, esc(dumps(data, ensure_ascii=False))))
            occurred = NULL if r() < 0.2 else ts(reported - rint(600, 72 * HOUR))
            incident = f"{local:%Y%m%d}{rint(0, 999999):06d}" if channel == Channel.INCIDENT_110 else ""
            out["case"].append(t["case"].line(
                str(cid), number, title, cat,
                f"{address}，{title}。当事人反映情况后，网格员上门了解，双方各执一词，请求协调处理。",
                occurred, ts(reported), address, self._key(head), str(g.id), channel, incident, risk,
                tier if triaged_at else "", str(lead) if lead and triaged_at else NULL, ts(due), resolution,
                "t" if settled else "f", escalation, "t" if at_district else "f", referred_to, withdrawal, NULL,
                state, NULL, str(version), ts_or_null(triaged_at),
                ts(resolved_at) if resolved_at and state in (State.RESOLVED, State.CLOSED) else NULL,
                ts_or_null(closed_at), str(creator), ts(created), ts(max(last_at, created))))
            # parties: the applicant at the address, a respondent nearby, sometimes a third
            party_line = t["party"].line
            n_parties = 1 if r() < 0.15 else (3 if r() < 0.18 else 2)
            for p in range(n_parties):
                role = (PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.OTHER)[p]
                where = address if p == 0 else f"{head}{rint(1, 18)}{rint(1, 4):02d}室"
                out["party"].append(party_line(
                    str(cid), _person(rng), role, f"1{choice('3456789')}{rint(0, 999_999_999):09d}",
                    _id_number(rng) if r() < 0.4 else "", where,
                    "老年人，独居" if r() < 0.04 else ""))
        return Chunk(data={k: "".join(v).encode() for k, v in out.items()},
                     rows={k: len(v) for k, v in out.items()}, sequences=used, cases=n,
                     last_case_id=first_id + n - 1)

    @staticmethod
    def _lead(g, tier, rng):
        if tier == Tier.GRID:
            return rng.choice(g.workers)
        if tier == Tier.POLICE_ROOM:
            return g.officer
        if tier == Tier.JOINT:
            return g.officer if rng.random() < 0.6 else g.station_leader
        return g.street_leader if rng.random() < 0.6 else g.station_leader

    @staticmethod
    def _triager(g, tier, rng):
        if tier in (Tier.GRID, Tier.POLICE_ROOM):
            return g.officer
        return g.station_leader if rng.random() < 0.5 else g.street_leader

    @staticmethod
    def _triage_data(cat, risk, tier, lead_name, due):
        return {"category": cat, "risk": risk, "tier": tier, "lead_handler": lead_name,
                "due_at": datetime.fromtimestamp(due, UTC).isoformat()}

    @staticmethod
    def _plan(path, g, lead, rng):
        """The steps after triage: (action, state entered, actor, share of the handling time)."""
        sl, dl = g.street_leader, g.district_leader
        if path == "spot":
            return [("settle_on_spot", State.RESOLVED, lead, 1.0)]
        if path == "mediate":
            return [("start_mediation", State.MEDIATING, lead, 0.1), ("resolve", State.RESOLVED, lead, 1.0)]
        escalate = ("escalate", State.ESCALATED, g.officer, 0.15)
        if path == "escalate":
            return [escalate, ("resolve", State.RESOLVED, sl, 1.0)]
        if path == "escalate_mediate":
            return [escalate, ("assign_mediation", State.MEDIATING, sl, 0.3), ("resolve", State.RESOLVED, lead, 1.0)]
        if path == "refer":
            return [escalate, ("refer", State.REFERRED, sl, 0.3), ("resolve", State.RESOLVED, sl, 1.0)]
        district = [escalate, ("raise_to_district", State.DISTRICT, sl, 0.3)]
        if path == "district":
            return district + [("district_take", State.MEDIATING, dl, 0.45), ("resolve", State.RESOLVED, dl, 1.0)]
        return district + [("send_back", State.ESCALATED, dl, 0.5), ("resolve", State.RESOLVED, sl, 1.0)]


def _id_number(rng) -> str:
    birth = datetime(1940, 1, 1) + timedelta(days=rng.randint(0, 65 * 365))
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS17)) % 11]


# --- loading ---------------------------------------------------------------------------------------


def _unchecked_allowed() -> bool:
    """May the chunks skip the foreign-key triggers (session_replication_role = replica)? Only
    as a superuser, and only while no table we write has a trigger of its own that fires on
    INSERT (the timeline's append-only trigger fires on UPDATE and DELETE): such a trigger
    would be skipped too. The keys are checked once at the end instead (`check_keys`)."""
    tables = [t.name for t in case_tables().values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND (tgtype & 4) <> 0 "
                       "AND tgrelid = ANY(%s::regclass[])", [tables])
        return cursor.fetchone()[0] == 0


def check_keys(first_case_id: int) -> None:
    """Every foreign key of the rows added from `first_case_id` on points at a row."""
    with connection.cursor() as cursor:
        for key, table in case_tables().items():
            model = table.model
            own = "id" if model is Case else "case_id"
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta.db_table
                cursor.execute(
                    f"SELECT count(*) FROM {table.name} x WHERE x.{own} >= %s AND x.{f.column} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {target} y WHERE y.{f.target_field.column} = x.{f.column})",
                    [first_case_id])
                missing = cursor.fetchone()[0]
                if missing:
                    raise RuntimeError(f"{missing} rows of {table.name} point nowhere by {f.column}")


def _write_chunk(chunk: Chunk, *, unchecked: bool = False) -> None:
    """One transaction: the chunk's rows and its case numbers' sequences."""
    t = case_tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")  # a lost chunk is regenerated on resume
        if unchecked:
            cursor.execute("SET LOCAL session_replication_role = replica")
        for key in ("case", "party", "event", "referral", "followup"):
            t[key].copy(cursor, chunk.data[key])
        if chunk.sequences:
            values = ", ".join(f"({s}, {y}, {last})" for (s, y), last in chunk.sequences.items())
            cursor.execute(
                f"INSERT INTO {CaseSequence._meta.db_table} (street_id, year, last) VALUES {values} "
                "ON CONFLICT (street_id, year) DO UPDATE SET last = GREATEST(EXCLUDED.last, "
                f"{CaseSequence._meta.db_table}.last)")
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Case._meta.db_table}', 'id'), %s)",
                       [chunk.last_case_id])


def _produce(generator, count, first_id, chunk, queue):
    """The child process: generate every chunk, hand each over (a bounded queue)."""
    try:
        for piece in generator.chunks(count=count, first_id=first_id, chunk=chunk):
            queue.put(piece)
        queue.put(None)
    except BaseException:
        queue.put(traceback.format_exc())
    finally:
        queue.close()
        queue.join_thread()
        os._exit(0)  # never run the parent's cleanup (it would close the parent's connection)


def _received(queue, child):
    """The child's chunks until it is done; fails rather than waits when the child died."""
    import queue as queues

    while True:
        try:
            piece = queue.get(timeout=5)
        except queues.Empty:
            if not child.is_alive():
                raise RuntimeError(f"the generator process ended (exit code {child.exitcode})") from None
            continue
        if piece is None:
            return
        yield piece


def fill(*, cases: int, grids: int | None = None, seed: int = 2024, chunk: int = 10_000,
         password: str = "bench-password-2024", progress: bool = True, fork: bool = False,
         now: float | None = None) -> dict:
    """Bring the current database to `cases` bench cases (places and accounts first, when
    missing). Returns what was added, by table."""
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        build_places(grid_count=grids or grids_for(cases), seed=seed, password=password, progress=progress)
    elif grids and progress:
        print(f"places exist already: --grids {grids} ignored")
    places = load_places()
    have = Case.objects.count()
    added = {k: 0 for k in ("case", "party", "event", "referral", "followup")}
    if have >= cases:
        if progress:
            print(f"{have} cases already (wanted {cases}): nothing to add")
        return added
    count = cases - have
    first_id = _next_id(Case)
    # inside a caller's transaction (a test) SET LOCAL would outlive our chunks: keep the checks
    unchecked = not connection.in_atomic_block and _unchecked_allowed()
    generator = CaseGenerator(places, now=now or time.time(), seed=seed + have)
    bars = {k: tqdm(total=count if k == "case" else None, desc=f"{case_tables()[k].name:<45}", unit=" rows",
                    position=i, disable=not progress, leave=True, smoothing=0.1)
            for i, k in enumerate(added)}
    try:
        if fork:
            connection.close()  # the child must not share this connection's socket
            ctx = multiprocessing.get_context("fork")
            queue = ctx.Queue(maxsize=3)
            child = ctx.Process(target=_produce, args=(generator, count, first_id, chunk, queue), daemon=True)
            child.start()
            pieces = _received(queue, child)
        else:
            child = None
            pieces = generator.chunks(count=count, first_id=first_id, chunk=chunk)
        for piece in pieces:
            if isinstance(piece, str):
                raise RuntimeError(f"the generator failed:\n{piece}")
            _write_chunk(piece, unchecked=unchecked)
            for k, bar in bars.items():
                bar.update(piece.rows[k])
                added[k] += piece.rows[k]
        if child is not None:
            child.join()
    finally:
        for bar in bars.values():
            bar.close()
    if unchecked:
        started = time.perf_counter()
        check_keys(first_id)
        if progress:
            print(f"foreign keys checked in {time.perf_counter() - started:.1f} s")
    # what the app keeps on each case from its visits as they are written (COPY writes none)
    started = time.perf_counter()
    awaiting = keep_follow_up_due(Case.objects.filter(
        id__in=FollowUp.objects.filter(case_id__gte=first_id, done_at__isnull=True).values("case_id")))
    if progress:
        print(f"{awaiting} cases awaiting a follow-up visit marked in {time.perf_counter() - started:.1f} s")
    return added


def main():
    args = ARGS
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    filled = time.perf_counter()
    added = fill(cases=args.cases, grids=args.grids, seed=args.seed, chunk=args.chunk, password=args.password,
                 fork=not args.in_process)
    seconds = time.perf_counter() - filled
    analyzed = time.perf_counter()
    with connection.cursor() as cursor:
        # as autovacuum leaves a live database: statistics, and the visibility map that lets
        # counts over an index skip the table (index-only scans)
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"filled in {seconds:.1f} s ({added['case'] / max(seconds, 1e-9):.0f} cases/s), "
          f"VACUUM (ANALYZE) {time.perf_counter() - analyzed:.1f} s, total {time.perf_counter() - started:.1f} s")
    print("added: " + ", ".join(f"{k} {v}" for k, v in added.items()))
    print(f"database {connection.settings_dict['NAME']}: {Case.objects.count()} cases, {size}")
    print(f"accounts: bench_admin, bench_worker_<grid>_1|2, bench_officer_<pg>, bench_auxiliary_<pg>, "
          f"bench_station_<n>, bench_street_<n>, bench_district_<n>, bench_bureau_<n>; password {args.password!r}")


if __name__ == "__main__":
    main()
