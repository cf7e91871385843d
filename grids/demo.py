"""The demo street, laid out like Qifeng (栖凤): 26 community grids fused into 8 police grids,
two community workers on each community grid, one community police officer (and one auxiliary)
on each police grid. Built through grids.services, like everything users do."""

from itertools import product

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from . import scope_cache, services
from .models import Community, CommunityGrid, District, GridLink, PoliceBureau, PoliceGrid, PoliceStation, Street
from .roles import Role

DEMO_PASSWORD = "fengqiao-demo"

STREET = ("栖凤街道", "栖凤")
STATION = "栖凤派出所"
# community -> number of community grids (26 in all)
COMMUNITIES = [("栖凤社区", 6), ("凤鸣社区", 5), ("梧桐社区", 5), ("桂苑社区", 5), ("兰亭社区", 5)]
# police grid name, its police room or post, how many consecutive community grids it covers
POLICE_GRIDS = [
    ("第一警务区", "栖凤社区警务室", 4),
    ("第二警务区", "凤鸣社区警务室", 4),
    ("第三警务区", "凤鸣路警务站", 3),
    ("第四警务区", "梧桐社区警务室", 3),
    ("第五警务区", "梧桐巷警务站", 3),
    ("第六警务区", "桂苑社区警务室", 3),
    ("第七警务区", "兰亭社区警务室", 3),
    ("第八警务区", "兰亭广场警务站", 3),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "建国", "秀英", "志强", "丽娟", "海燕", "伟", "芳", "军", "敏", "静", "磊", "洋", "勇",
    "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "桂英", "玉兰", "文华", "晓东",
    "春梅", "国平", "红梅", "建华", "立新", "淑珍", "德明", "雪芳", "振华", "晓燕", "宏伟",
    "美玲", "永红", "金凤",
]


def names():
    """Distinct, believable Chinese names in a fixed order."""
    for given, surname in product(GIVEN, SURNAMES):
        yield surname + given


def _person(username: str, full_name: str, password_hash: str):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": full_name, "password": password_hash}
    )
    return user


@transaction.atomic
def build_street() -> dict:
    """Create (or find) the demo street and its people; return the key objects by name."""
    street, _ = Street.objects.get_or_create(name=STREET[0], defaults={"prefix": STREET[1]})
    station, _ = PoliceStation.objects.get_or_create(name=STATION)
    grids = []
    for c_index, (community_name, count) in enumerate(COMMUNITIES, start=1):
        community, _ = Community.objects.get_or_create(street=street, name=community_name)
        for g in range(1, count + 1):
            grid, _ = CommunityGrid.objects.get_or_create(
                code=f"QF-{c_index:02d}-{g:02d}",
                defaults={"community": community, "name": f"第{g}网格"},
            )
            grids.append(grid)
    police_grids = []
    start = 0
    for p_index, (name, post, count) in enumerate(POLICE_GRIDS, start=1):
        pg, _ = PoliceGrid.objects.get_or_create(
            code=f"QF-J{p_index:02d}",
            defaults={"station": station, "name": name, "post_name": post},
        )
        for grid in grids[start : start + count]:
            GridLink.objects.get_or_create(police_grid=pg, community_grid=grid)
        police_grids.append((pg, grids[start : start + count]))
        start += count

    # One hash for every demo login: hashing 80 passwords one by one takes half a minute.
    password_hash = make_password(DEMO_PASSWORD)
    name_iter = names()
    # worker1 is on the first grid of police grid 1, worker2 on the first grid of police grid 2,
    # so the two key demo workers sit under different police grids and officers.
    first_of_pg2 = police_grids[1][1][0]
    slots = [grids[0], first_of_pg2] + [g for g in grids if g not in (grids[0], first_of_pg2)]
    slots += grids  # the second worker on every grid
    workers = []
    for number, grid in enumerate(slots, start=1):
        user = _person(f"worker{number}", next(name_iter), password_hash)
        services.place_user(user=user, role=Role.WORKER, place=grid)
        workers.append(user)
    officers = []
    for number, (pg, _grids) in enumerate(police_grids, start=1):
        officer = _person(f"officer{number}", next(name_iter), password_hash)
        services.place_user(user=officer, role=Role.OFFICER, place=pg)
        officers.append(officer)
        auxiliary = _person(f"auxiliary{number}", next(name_iter), password_hash)
        services.place_user(user=auxiliary, role=Role.AUXILIARY, place=pg)
    stationlead = _person("stationlead", next(name_iter), password_hash)
    services.place_user(user=stationlead, role=Role.STATION_LEADER, place=station)
    streetlead = _person("streetlead", next(name_iter), password_hash)
    services.place_user(user=streetlead, role=Role.STREET_LEADER, place=street)
    mediator1 = _person("mediator1", next(name_iter), password_hash)
    services.give_role(user=mediator1, role=Role.MEDIATOR)
    admin = _person("admin", "系统管理员", password_hash)
    if not (admin.is_staff and admin.is_superuser):
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    services.give_role(user=admin, role=Role.ADMIN)
    return {
        "street": street,
        "station": station,
        "grids": grids,
        "police_grids": [pg for pg, _ in police_grids],
        "workers": workers,
        "officers": officers,
        "mediator1": mediator1,
    }


# The second, smaller street of the demo district: one community, its grids under one police
# grid of its own station.
SECOND_STREET = ("凤凰街道", "凤凰")
SECOND_STATION = "凤凰派出所"
DISTRICT = "临江区"
BUREAU = "临江公安分局"


@transaction.atomic
def build_second_street(grid_count: int = 3) -> Street:
    """凤凰街道: outside every Qifeng scope, with its own station, officer, worker and leaders."""
    password_hash = make_password(DEMO_PASSWORD)
    street, _ = Street.objects.get_or_create(name=SECOND_STREET[0], defaults={"prefix": SECOND_STREET[1]})
    community, _ = Community.objects.get_or_create(street=street, name="凤凰社区")
    station, _ = PoliceStation.objects.get_or_create(name=SECOND_STATION)
    police_grid, _ = PoliceGrid.objects.get_or_create(
        code="FH-J01", defaults={"station": station, "name": "凤凰第一警务区", "post_name": "凤凰社区警务室"})
    grids = []
    for number in range(1, grid_count + 1):
        grid, _ = CommunityGrid.objects.get_or_create(
            code=f"FH-01-{number:02d}", defaults={"community": community, "name": f"第{number}网格"})
        GridLink.objects.get_or_create(police_grid=police_grid, community_grid=grid)
        grids.append(grid)
    for username, full_name, role, place in [
        ("worker_fh", "凤凰网格员", Role.WORKER, grids[0]),
        ("officer_fh", "凤凰社区民警", Role.OFFICER, police_grid),
        ("stationlead_fh", "凤凰派出所所长", Role.STATION_LEADER, station),
        ("streetlead_fh", "凤凰街道综治中心主任", Role.STREET_LEADER, street),
    ]:
        services.place_user(user=_person(username, full_name, password_hash), role=role, place=place)
    return street


@transaction.atomic
def build_district() -> dict:
    """临江区 above the two demo streets, 临江公安分局 above their stations, and their leaders:
    `districtlead` (the district's mediation centre) and `bureaulead` (the police bureau)."""
    password_hash = make_password(DEMO_PASSWORD)
    district, _ = District.objects.get_or_create(name=DISTRICT)
    bureau, _ = PoliceBureau.objects.get_or_create(name=BUREAU, defaults={"district": district})
    Street.objects.filter(name__in=[STREET[0], SECOND_STREET[0]], district=None).update(district=district)
    PoliceStation.objects.filter(name__in=[STATION, SECOND_STATION], bureau=None).update(bureau=bureau)
    scope_cache.map_changed()  # update() sends no signal
    districtlead = _person("districtlead", "临江区矛调中心主任", password_hash)
    services.place_user(user=districtlead, role=Role.DISTRICT_LEADER, place=district)
    bureaulead = _person("bureaulead", "临江公安分局副局长", password_hash)
    services.place_user(user=bureaulead, role=Role.BUREAU_LEADER, place=bureau)
    return {"district": district, "bureau": bureau, "districtlead": districtlead, "bureaulead": bureaulead}
