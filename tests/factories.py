"""Factories for test data, and the second street used as "outside" in every access test."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from grids import services
from grids.models import Community, CommunityGrid, District, GridLink, PoliceGrid, PoliceStation, Street
from grids.roles import Role

TEST_PASSWORD = "fengqiao-test-pw"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.LazyFunction(lambda: make_password(TEST_PASSWORD))


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}街道")
    prefix = factory.Sequence(lambda n: f"测{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ["street", "name"]

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")


class CommunityGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityGrid
        django_get_or_create = ["code"]

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    code = factory.Sequence(lambda n: f"T-{n:04d}")


class PoliceStationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceStation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}派出所")


class PoliceGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceGrid
        django_get_or_create = ["code"]

    station = factory.SubFactory(PoliceStationFactory)
    name = factory.Sequence(lambda n: f"第{n}警务区")
    code = factory.Sequence(lambda n: f"TJ-{n:04d}")
    post_name = factory.Sequence(lambda n: f"测试{n}警务室")


def link(police_grid, *community_grids):
    for grid in community_grids:
        GridLink.objects.get_or_create(police_grid=police_grid, community_grid=grid)


def person(username, role, place=None):
    """A user with a role, placed on a grid / station / street through the real service."""
    user = UserFactory(username=username)
    if place is None:
        services.give_role(user=user, role=role)
    else:
        services.place_user(user=user, role=role, place=place)
    return user


def build_outside_district():
    """东湖区: a second district with one small street, and its centre's leader, outside every
    临江区 scope."""
    district, _ = District.objects.get_or_create(name="东湖区")
    street = StreetFactory(name="东湖街道", prefix="东湖", district=district)
    community = CommunityFactory(street=street, name="东湖社区")
    CommunityGridFactory(community=community, name="第1网格", code="DH-01-01")
    person("districtlead_dh", Role.DISTRICT_LEADER, district)
    return district


# --- cases ---------------------------------------------------------------------------------

CASE_DEFAULTS = dict(
    title="楼上装修后楼下天花板漏水", category="renovation", channel="grid_visit",
    description="楼上装修改水管后楼下卫生间渗水。", address="栖凤社区3幢2单元502室", risk="general",
)

# Field changes each transition needs (what its form would send).
TRANSITION_CHANGES = {
    "triage": lambda case, actor: {"category": case.category, "risk": case.risk,
                                   "tier": "grid", "lead_handler": actor},
    "escalate": lambda case, actor: {"escalation_reason": "多次调解未果"},
    "refer": lambda case, actor: {"referred_to": "区住建局"},
    "resolve": lambda case, actor: {"resolution": "双方达成协议，责任方赔偿维修费用。",
                                    "settled_without_agreement": True},
    "withdraw": lambda case, actor: {"withdrawal_reason": "双方已自行和解"},
    "settle_on_spot": lambda case, actor: {"resolution": "民警到场劝解，双方同意各退一步，当场和解。"},
}
NOTES = {"reopen": "协议未履行", "raise_to_district": "涉及多个街道，街道层面无法化解",
         "send_back": "请街道牵头，会同住建部门再次调解"}


def a_department(name="区住建局", kind="housing"):
    from cases.models import Department

    return Department.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def transition_extra(action, case, actor) -> dict:
    """The side-effect arguments a transition's form would send (the refer form's referral)."""
    from datetime import timedelta

    from django.utils import timezone

    if action == "refer":
        return {"referral": {"department": a_department(), "request": "请依职责处理",
                             "deadline": timezone.localdate() + timedelta(days=10)}}
    return {}


def follow_up_kept(case, actor):
    """The follow-up visit that lets a resolved case close."""
    from cases import loop as closing

    visit = case.follow_ups.filter(done_at__isnull=True).first()
    return closing.record_follow_up(follow_up=visit, actor=actor, fulfilled=True,
                                    satisfaction="satisfied", note="协议已履行，双方满意")

# A path from "reported" to each state.
PATH_TO = {
    "reported": [],
    "triaged": ["triage"],
    "mediating": ["triage", "start_mediation"],
    "escalated": ["triage", "escalate"],
    "referred": ["triage", "escalate", "refer"],
    "district": ["triage", "escalate", "raise_to_district"],
    "resolved": ["triage", "start_mediation", "resolve"],
    "closed": ["triage", "start_mediation", "resolve", "close"],
    "withdrawn": ["withdraw"],
}


def make_case(*, grid, actor, parties=None, **fields):
    """Log a case through the real workflow."""
    from cases import workflow
    from cases.models import Case, Party

    case = Case(grid=grid, **{**CASE_DEFAULTS, **fields})
    if parties is None:
        parties = [Party(name="王建国", role="applicant", phone="13812345678",
                         id_number="11010519491231002X"),
                   Party(name="李秀英", role="respondent", phone="13987654321")]
    return workflow.create_case(actor=actor, case=case, parties=parties)


def a_mediator(**fields):
    """An active mediator with room for cases (created on first use)."""
    from mediators.models import Mediator

    defaults = {"team": "peoples", "organisation": "测试人民调解委员会", "profession": "elder",
                "capacity": 50}
    mediator, _ = Mediator.objects.get_or_create(name=fields.pop("name", "测试调解员"),
                                                 defaults={**defaults, **fields})
    return mediator


def choose(case, actor, mediator=None, **extra):
    from mediators import services

    return services.choose_mediator(case=case, mediator=mediator or a_mediator(), actor=actor,
                                    method=extra.pop("method", "parties"), **extra)


def act(case, action, actor, **extra):
    """Take one transition through the real workflow, with what its form would send. Starting
    mediation first records a mediator, as a user must."""
    from cases import workflow

    if action in ("start_mediation", "assign_mediation", "district_take") and not case.mediator_choices.filter(active=True).exists():
        choose(case, actor)
    if action == "close" and not case.follow_up_done():
        follow_up_kept(case, actor)
    extra = {**transition_extra(action, case, actor), **extra}
    changes = TRANSITION_CHANGES.get(action, lambda c, a: {})(case, actor)
    return workflow.run_transition(
        case_id=case.pk, action=action, actor=actor, version=case.version,
        changes=changes, note=NOTES.get(action, ""), **extra,
    )


def case_in_state(state, *, grid, actor):
    """A case on `grid` walked to `state` by `actor` (who must be allowed every step)."""
    case = make_case(grid=grid, actor=actor)
    for action in PATH_TO[state]:
        case = act(case, action, actor)
    return case


def bulk_cases(*, grid, creator, count, start=0, **fields):
    """Many cases fast, for query-count tests (bypasses the workflow on purpose)."""
    from django.utils import timezone

    from cases.models import Case, CaseEvent, Party

    states = [fields.pop("state")] if "state" in fields else [
        "reported", "triaged", "mediating", "escalated", "resolved"]
    cases = Case.objects.bulk_create([
        Case(number=f"BULK-{grid.pk}-{start + i:06d}", grid=grid, created_by=creator,
             lead_handler=creator, state=states[i % len(states)],
             due_at=timezone.now() + timezone.timedelta(days=(i % 5) - 2),
             **{**CASE_DEFAULTS, **fields})
        for i in range(count)
    ], batch_size=2000)
    Party.objects.bulk_create([Party(case=c, name=f"当事人{c.pk}", role="applicant",
                                     phone="13800000000") for c in cases], batch_size=2000)
    CaseEvent.objects.bulk_create([CaseEvent(case=c, actor=creator, kind="created",
                                             to_state="reported") for c in cases], batch_size=2000)
    return cases
