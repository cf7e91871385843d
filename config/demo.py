"""~200 demo cases on the demo street, drawn from the seeds' own stories, in every state.
Built through cases.workflow exactly as users build them, so they are always valid."""

import random
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases import loop as closing
from cases import workflow
from cases.choices import Category, Channel, DepartmentKind, PartyRole, Risk, State, Tier
from cases.models import Call, Case, Department, Party
from cases.validators import ID_CHECK, ID_WEIGHTS
from grids import access
from grids.demo import GIVEN, SURNAMES
from grids.models import CommunityGrid, Street
from grids.roles import Role
from grids.selectors import people_on_grids, people_on_police_grids
from grids.services import give_role
from mediators import services as mediator_services
from mediators.demo import build_roster

# (title, category, description, applicant's side, respondent's side)
STORIES = [
    ("楼上装修后楼下天花板漏水", Category.RENOVATION,
     "{addr}住户反映，楼上装修改水管后自家卫生间天花板持续渗水，墙面发霉。楼上业主称是施工队的问题，"
     "施工队称是原有管道老化，三方互相推诿。", "楼下住户", "楼上业主"),
    ("商铺装修截断共用污水管", Category.RENOVATION,
     "沿街商铺装修时截断了整栋楼共用的污水管，楼上多户居民下水不畅、污水倒灌，"
     "居民多次找店主未果，情绪激动。", "楼上居民代表", "商铺店主"),
    ("拖欠物业费引发纠纷", Category.PROPERTY_MGMT,
     "业主以小区绿化差、电梯常坏为由拒交两年物业费，物业公司称将起诉，双方在小区门口发生争吵。",
     "物业公司", "业主"),
    ("楼道安装摄像头引发邻里矛盾", Category.NEIGHBOUR,
     "住户在楼道自家门口安装摄像头，对门邻居认为摄像头正对自家大门，侵犯隐私，要求拆除，双方多次争执。",
     "对门邻居", "安装摄像头住户"),
    ("争抢小区停车位", Category.NEIGHBOUR,
     "两户居民为小区公共停车位长期争抢，一方用地锁占位，另一方将地锁撬开，双方发生推搡。",
     "居民甲", "居民乙"),
    ("租房押金不予退还", Category.RENTAL,
     "租客退租时房东以墙面污损、家电损坏为由扣留全部押金，租客认为属于正常使用损耗，要求全额退还。",
     "租客", "房东"),
    ("装修工人工资被拖欠", Category.LABOUR,
     "多名装修工人反映包工头拖欠三个月工资，包工头称业主未付尾款，工人到小区物业处聚集讨薪。",
     "工人代表", "包工头"),
    ("老人赡养问题家庭矛盾", Category.FAMILY,
     "独居老人反映子女互相推诿赡养责任，长期无人照料，兄妹之间为赡养费分摊多次争吵。",
     "老人", "子女"),
    ("电动车停放充电纠纷", Category.NEIGHBOUR,
     "居民在楼道内给电动车充电，邻居担心火灾隐患多次劝阻无果，双方关系紧张。",
     "邻居", "电动车车主"),
    ("健身器材噪音扰民", Category.NEIGHBOUR,
     "广场舞和健身器材使用时间过早过晚，临近楼栋居民反映噪音影响休息，与活动组织者发生口角。",
     "临近居民", "活动组织者"),
]

# State a demo case ends in, and how many (about 200 in all).
PLAN = [
    (State.REPORTED, 30), (State.TRIAGED, 30), (State.MEDIATING, 40), (State.ESCALATED, 20),
    (State.REFERRED, 10), (State.RESOLVED, 30), (State.CLOSED, 30), (State.WITHDRAWN, 10),
]
# Steps: transitions, plus "choose" (the parties pick a mediator), "session", "failed_session"
# and "agreement" (mediation records).
PATHS = {
    State.REPORTED: [],
    State.TRIAGED: ["triage"],
    State.MEDIATING: ["triage", "choose", "start_mediation", "session"],
    State.ESCALATED: ["triage", "choose", "start_mediation", "failed_session", "escalate"],
    State.REFERRED: ["triage", "escalate", "refer"],
    State.RESOLVED: ["triage", "choose", "start_mediation", "session", "agreement", "resolve"],
    State.CLOSED: ["triage", "choose", "start_mediation", "session", "agreement", "resolve",
                   "follow_up", "close"],
    State.WITHDRAWN: ["withdraw"],
}
DEPARTMENTS = [
    ("区住建局", DepartmentKind.HOUSING, "王科长", "0571-87001234"),
    ("区人社局劳动监察大队", DepartmentKind.LABOUR, "李队长", "0571-87002345"),
    ("栖凤市场监管所", DepartmentKind.MARKET, "赵所长", "0571-87003456"),
    ("栖凤司法所", DepartmentKind.JUSTICE, "钱所长", "0571-87004567"),
    ("区法院诉调对接中心", DepartmentKind.COURT, "孙法官", "0571-87005678"),
    ("区劳动人事争议仲裁委", DepartmentKind.ARBITRATION, "周仲裁员", "0571-87006789"),
]


def build_departments() -> list[Department]:
    """The directory of competent departments (idempotent); 区住建局 has a contact account."""
    departments = []
    for name, kind, contact, phone in DEPARTMENTS:
        department, _ = Department.objects.get_or_create(
            name=name, defaults={"kind": kind, "contact_name": contact, "phone": phone})
        departments.append(department)
    account, created = get_user_model().objects.get_or_create(
        username="dept_housing", defaults={"first_name": "王科长"})
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    give_role(user=account, role=Role.DEPARTMENT)
    departments[0].contacts.add(account)
    return departments


def _id_number(rng) -> str:
    birth = timezone.now().date() - timedelta(days=rng.randint(20 * 365, 80 * 365))
    body = f"330106{birth:%Y%m%d}{rng.randint(100, 999)}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def _party(rng, role, side) -> Party:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return Party(
        name=name, role=role, phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
        id_number=_id_number(rng) if rng.random() < 0.7 else "",
        notes=side + ("，独居老人" if rng.random() < 0.1 else ""),
    )


def _choose(*, case, actor, roster, rng, parties, made):
    # The parties of every fourth case in 栖凤社区 pick mediator1's 陈桂兰; others the first
    # mediator with a free place, starting from a different one each time.
    order = roster[made % len(roster):] + roster[:made % len(roster)]
    if case.grid.community.name == "栖凤社区" and made % 4 == 0:
        order = [roster[0]] + order
    for mediator in order:
        try:
            mediator_services.choose_mediator(
                case=case, mediator=mediator, actor=actor, method="parties", party=parties[0],
                reason="当事人认为该调解员熟悉情况、办事公道。")
            return
        except mediator_services.MediatorRefused:
            continue


def _session(*, case, actor, outcome="agreed", **_):
    mediators = [c.mediator for c in case.mediator_choices.filter(active=True)]
    now = timezone.now().replace(second=0, microsecond=0)
    # A day ago, or, for a case logged since, right after it was logged; 80 minutes long, or
    # until now for a case logged within the hour.
    start = min(now, max(now - timedelta(days=1),
                         case.reported_at.replace(second=0, microsecond=0) + timedelta(minutes=1)))
    end = min(start + timedelta(minutes=80), now) if start < now else None
    mediator_services.record_session(
        case=case, actor=actor, mediators=mediators, held_at=start, ended_at=end,
        place="多元化解调解室", attendees="双方当事人、网格员、社区民警", format="joint",
        record="调解员分别听取双方陈述，讲明相关法律规定，引导双方换位思考。", outcome=outcome)


def _failed_session(**kwargs):
    _session(outcome="failed", **{k: v for k, v in kwargs.items() if k != "outcome"})


def _agreement(*, case, actor, **_):
    if case.pk % 2:  # half the mediated cases end on a written agreement, half on a settlement
        return
    mediators = [c.mediator for c in case.mediator_choices.filter(active=True)]
    mediator_services.record_agreement(
        case=case, actor=actor, parties=list(case.parties.all()), mediators=mediators,
        facts=case.description, terms="一、责任方于七日内修复受损部位并承担维修费用；\n二、双方今后互谅互让，不再因此事发生争执。",
        fulfilment="维修完成后由网格员上门查看确认。", fulfil_by=timezone.localdate() + timedelta(days=7),
        signed_on=timezone.localdate(), place="多元化解调解室")


def _follow_up(*, case, actor, **_):
    closing.record_follow_up(follow_up=case.follow_ups.get(done_at__isnull=True), actor=actor,
                             fulfilled=True, satisfaction="satisfied", note="回访双方，协议已履行，表示满意。")


MEDIATION_STEPS = {"choose": _choose, "session": _session, "failed_session": _failed_session,
                   "agreement": _agreement, "follow_up": _follow_up}


@transaction.atomic
def build_cases(*, street: Street, count_scale: float = 1.0, seed: int = 2026) -> int:
    """Create the demo cases unless the street already has cases. Returns how many exist."""
    existing = Case.objects.filter(grid__community__street=street).count()
    if existing:
        return existing
    rng = random.Random(seed)
    grids = list(CommunityGrid.objects.filter(community__street=street).order_by("code"))
    workers = people_on_grids([g.id for g in grids])
    police_by_grid = {}
    for grid in grids:
        pg_ids = list(grid.police_grids.values_list("id", flat=True))
        officers = [u for users in people_on_police_grids(pg_ids).values() for u in users
                    if u.username.startswith("officer")]
        police_by_grid[grid.id] = officers[0]
    User = get_user_model()
    stationlead = User.objects.get(username="stationlead")
    roster = build_roster(street=street)
    departments = build_departments()
    now = timezone.now()
    made = 0
    for state, count in PLAN:
        for _ in range(max(1, round(count * count_scale))):
            grid = grids[made % len(grids)]
            worker, officer = workers[grid.id][0], police_by_grid[grid.id]
            title, category, description, side_a, side_b = STORIES[made % len(STORIES)]
            channel = rng.choice(list(Channel))
            building = f"{grid.community.name}{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室"
            reporter = officer if channel in (Channel.POLICE_WORK, Channel.INCIDENT_110) else worker
            risk = rng.choices([Risk.GENERAL, Risk.SERIOUS, Risk.MAJOR], [70, 22, 8])[0]
            reported_at = now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23))
            case = Case(
                title=title, category=category, description=description.format(addr=building),
                address=building, grid=grid, channel=channel, risk=risk,
                incident_number=f"110{reported_at:%Y%m%d}{rng.randint(1000, 9999)}"
                if channel == Channel.INCIDENT_110 else "",
                reported_at=reported_at, occurred_at=reported_at - timedelta(hours=rng.randint(1, 72)),
            )
            parties = [_party(rng, PartyRole.APPLICANT, side_a), _party(rng, PartyRole.RESPONDENT, side_b)]
            # Each step happens when it would have: logged when reported, then a few hours apart
            # (the clock moved by time-machine; never past now).
            clock = reported_at
            with time_machine.travel(clock, tick=False):
                case = workflow.create_case(actor=reporter, case=case, parties=parties)
            made += 1
            people = {"worker": worker, "officer": officer, "station": stationlead}
            tier = rng.choice([Tier.GRID, Tier.POLICE_ROOM, Tier.JOINT])
            for action in PATHS[state]:
                clock = min(clock + timedelta(hours=rng.randint(2, 20)), now - timedelta(minutes=5))
                with time_machine.travel(clock, tick=False):
                    case = _step(case, action, people=people, category=category, risk=risk, tier=tier, rng=rng,
                                 roster=roster, departments=departments, parties=parties, made=made)
    _build_loop(street=street, stationlead=stationlead, rng=rng)
    return made


def _step(case, action, *, people, category, risk, tier, rng, roster, departments, parties, made):
    """One step of a demo case, at the time it happens: a mediation record by the officer, or a
    transition by whoever takes it — the officer, unless the step is another's (`people`:
    "worker", "officer", "station", and for past cases "street" and "district") or the case is
    resolved above the mediation room (by the district centre holding it, else the station)."""
    officer, worker = people["officer"], people["worker"]
    access.forget(officer)  # its per-case grants change as the case goes
    case.refresh_from_db()
    if action in MEDIATION_STEPS:
        MEDIATION_STEPS[action](case=case, actor=officer, roster=roster, rng=rng, parties=parties, made=made)
        return case
    actor = {"raise_to_district": people.get("street"), "district_take": people.get("district"),
             "send_back": people.get("district"), "refer": people["station"], "close": worker}.get(action, officer)
    if action == "resolve" and case.state != State.MEDIATING:
        actor = people["district"] if case.at_district else people["station"]
    referral = None
    if action == "refer":
        department = rng.choice(departments)
        referral = {"department": department, "request": "请依职责协助处理并反馈。",
                    "deadline": timezone.localdate() + timedelta(days=10), "contact": department.contacts.first()}
    changes = {
        "triage": {"category": category, "risk": risk, "tier": tier, "lead_handler": officer},
        "escalate": {"escalation_reason": "多次调解未果，涉及多方，需所街联合兜底。"},
        "refer": {"referred_to": referral["department"].name} if referral else {},
        "resolve": {"resolution": "经民警、网格员联合调解，双方达成一致，责任方履行完毕。",
                    "settled_without_agreement": not hasattr(case, "agreement")},
        "settle_on_spot": {"resolution": "民警、网格员到场劝解，双方各退一步，当场和解。"},
        "withdraw": {"withdrawal_reason": "当事人双方已自行和解，申请撤回。"},
    }.get(action, {})
    note = {"start_mediation": "约双方到社区多元化解调解室面对面调解。",
            "raise_to_district": "涉及多方利益，街道层面难以化解，提请区矛调中心统筹。",
            "send_back": "请街道牵头，会同住建部门再次组织调解，十日内反馈。",
            "close": "回访已确认协议履行，结案。"}.get(action, "")
    access.forget(actor)
    return workflow.run_transition(case_id=case.pk, action=action, actor=actor, version=case.version,
                                   changes=changes, note=note, referral=referral,
                                   team=[(worker, "grid_worker")] if action == "triage" else ())


def _build_loop(*, street, stationlead, rng):
    """A few two-way calls (one answered, one open, one late), a supervision instruction and a
    joint meeting with its agenda, so the leaders' pages and the work benches have something."""
    grids = list(CommunityGrid.objects.filter(community__street=street).order_by("code")[:3])
    workers = people_on_grids([g.pk for g in grids])
    officer1 = get_user_model().objects.get(username="officer1")
    answered = closing.place_call(actor=workers[grids[0].pk][0], grid=grids[0],
                                  message="两户居民在楼道争吵，情绪激动，请民警到场")
    closing.answer_call(call=answered, actor=officer1, answer="已到场，双方情绪已平复")
    closing.place_call(actor=workers[grids[1].pk][0], grid=grids[1], message="独居老人家中漏水，需要协助联系物业")
    late = closing.place_call(actor=officer1, grid=grids[0], message="请网格员协助核实租户信息")
    Call.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=3),
                                           respond_by=timezone.now() - timedelta(hours=2, minutes=30))
    case = (Case.objects.filter(grid__community__street=street, state=State.TRIAGED,
                                lead_handler=officer1).order_by("id").first())
    if case is not None:
        closing.issue_supervision(case=case, actor=stationlead, text="请三日内拿出化解方案并报所里",
                                  deadline=timezone.localdate() + timedelta(days=3))
    streetlead = get_user_model().objects.get(username="streetlead")
    closing.create_meeting(actor=streetlead, street=street, held_on=timezone.now() + timedelta(days=2),
                           place="栖凤街道综治中心会议室",
                           attendees="街道综治办、栖凤派出所、各社区、物业公司、辖区学校")


# --- a year and more of history, and the district above the streets -------------------------

# How a past case went (steps as in PATHS; "raise" is the street leader's 提级, "district_take"
# the district centre's), with its weight among the past cases.
HISTORY = [
    (["triage", "settle_on_spot"], 14),
    (["triage", "choose", "start_mediation", "session", "agreement", "resolve", "follow_up", "close"], 40),
    (["triage", "choose", "start_mediation", "session", "resolve", "follow_up", "close"], 14),
    (["triage", "choose", "start_mediation", "failed_session", "escalate", "resolve"], 8),
    (["triage", "escalate", "refer", "resolve", "follow_up", "close"], 6),
    (["triage", "escalate", "raise_to_district", "choose", "district_take", "session", "resolve"], 4),
    (["triage", "escalate", "raise_to_district", "send_back", "resolve"], 2),
    (["withdraw"], 5),
]
# The cases the district centre holds now: raised and waiting, and taken on.
AT_THE_DISTRICT = [["triage", "escalate", "raise_to_district"],
                   ["triage", "escalate", "raise_to_district", "choose", "district_take", "session"]]


def build_history(*, street: Street, months: int = 14, per_month: int = 10, seed: int = 2025) -> int:
    """Cases reported over the `months` before the recent ones (the statistics' trends and their
    year-before comparison), each walked through the real workflow at the times it happened
    (time-machine moves the clock; the append-only timeline is never edited), and a few cases
    at the district centre now. Skipped when the street already has a past."""
    now = timezone.now()
    if Case.objects.filter(grid__community__street=street, reported_at__lt=now - timedelta(days=45)).exists():
        return 0
    rng = random.Random(seed)
    people = _street_people(street)
    roster = build_roster(street=street)  # the same demo mediators, serving this street's communities too
    departments = build_departments()
    paths = [path for path, weight in HISTORY for _ in range(weight)]
    made = 0
    for month in range(months, 0, -1):
        # a busier winter (wages before the Spring Festival) and summer (neighbours), fewer in February
        count = round(per_month * {1: 1.3, 2: 0.6, 7: 1.2, 8: 1.2}.get((now - timedelta(days=30 * month)).month, 1.0))
        for _ in range(count):
            reported_at = now - timedelta(days=30 * month + rng.randint(0, 29), hours=rng.randint(0, 12))
            made += 1
            _walk_past_case(street=street, people=people, roster=roster, departments=departments, rng=rng,
                            path=rng.choice(paths), reported_at=reported_at, made=made, travel=time_machine.travel)
    for path in AT_THE_DISTRICT:
        made += 1
        _walk_past_case(street=street, people=people, roster=roster, departments=departments, rng=rng, path=path,
                        reported_at=now - timedelta(days=rng.randint(12, 20)), made=made,
                        travel=time_machine.travel)
    return made


def _street_people(street: Street) -> dict:
    """Who acts on the street's cases: per grid its worker and officer; the station, street and
    district leaders over it."""
    User = get_user_model()
    street = Street.objects.select_related("district").get(pk=street.pk)  # its district may be new
    grids = list(CommunityGrid.objects.filter(community__street=street).order_by("code"))
    workers = people_on_grids([g.id for g in grids])
    officers = {}
    for grid in grids:
        pg_ids = list(grid.police_grids.values_list("id", flat=True))
        officers[grid.id] = next(u for users in people_on_police_grids(pg_ids).values() for u in users
                                 if u.username.startswith("officer"))
    leaders = {codename: User.objects.filter(**{f"{table}__permission__codename": codename, f"{table}__content_object": place})
               .order_by("id").first()
               for codename, table, place in [
                   ("lead_street", "streetuserobjectpermission", street),
                   ("lead_district", "districtuserobjectpermission", street.district),
                   ("lead_policestation", "policestationuserobjectpermission",
                    grids[0].police_grids.first().station)]}
    return {"grids": [g for g in grids if workers.get(g.id)], "workers": workers, "officers": officers, "street": leaders["lead_street"],
            "district": leaders["lead_district"], "station": leaders["lead_policestation"]}


def _walk_past_case(*, street, people, roster, departments, rng, path, reported_at, made, travel):
    grid = people["grids"][made % len(people["grids"])]
    worker, officer = people["workers"][grid.id][0], people["officers"][grid.id]
    title, category, description, side_a, side_b = STORIES[made % len(STORIES)]
    channel = rng.choice(list(Channel))
    building = f"{grid.community.name}{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室"
    risk = rng.choices([Risk.GENERAL, Risk.SERIOUS], [80, 20])[0]
    tier = Tier.GRID if "settle_on_spot" in path else rng.choice([Tier.GRID, Tier.POLICE_ROOM, Tier.JOINT])
    clock = reported_at
    latest = timezone.now() - timedelta(minutes=5)
    with travel(clock, tick=False):
        parties = [_party(rng, PartyRole.APPLICANT, side_a), _party(rng, PartyRole.RESPONDENT, side_b)]
        case = workflow.create_case(actor=worker, case=Case(
            title=title, category=category, description=description.format(addr=building), address=building,
            grid=grid, channel=channel, risk=risk, reported_at=reported_at,
            incident_number=f"110{reported_at:%Y%m%d}{made:05d}" if channel == Channel.INCIDENT_110 else "",
            occurred_at=reported_at - timedelta(hours=rng.randint(1, 48))), parties=parties)
    steps = {"worker": worker, "officer": officer, "station": people["station"], "street": people["street"],
             "district": people["district"]}
    for action in path:
        # the next step a few hours to a few days later, never in the future
        clock = min(clock + timedelta(hours=rng.randint(3, 30) if action != "close" else rng.randint(170, 240)),
                    latest)
        with travel(clock, tick=False):
            case = _step(case, action, people=steps, category=category, risk=risk, tier=tier, rng=rng,
                         roster=roster, departments=departments, parties=parties, made=made)
    return case
