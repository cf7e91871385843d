"""34 demo mediators from the four teams of the seeds' mediation supermarket; mediator1 is
linked to 陈桂兰, a people's mediator and community elder (老娘舅)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from grids.models import Community, Street

from .models import Mediator, Profession, Specialty, Team

N, F, P, R, L, D, T, RE, C, M, LA, O = (
    "neighbour", "family", "property_mgmt", "rental", "labour", "debt", "traffic",
    "renovation", "consumer", "medical", "land", "other",
)
# name, team, organisation, profession, specialties, dialects, capacity
ROSTER = [
    ("陈桂兰", Team.PEOPLES, "栖凤社区人民调解委员会", Profession.ELDER, [N, F, RE], "普通话、杭州话", 6),
    ("沈国强", Team.PEOPLES, "栖凤街道人民调解委员会", Profession.ELDER, [N, P, RE], "杭州话", 5),
    ("钱玉珍", Team.PEOPLES, "凤鸣社区人民调解委员会", Profession.TEACHER, [F, N], "普通话", 4),
    ("孔德明", Team.PEOPLES, "梧桐社区人民调解委员会", Profession.ELDER, [N, P], "杭州话、绍兴话", 5),
    ("许丽萍", Team.PEOPLES, "桂苑社区人民调解委员会", Profession.PSYCHOLOGIST, [F, N], "普通话", 4),
    ("蒋建平", Team.PEOPLES, "兰亭社区人民调解委员会", Profession.ELDER, [N, RE, P], "杭州话", 5),
    ("韩秀云", Team.PEOPLES, "栖凤街道人民调解委员会", Profession.PSYCHOLOGIST, [F], "普通话", 3),
    ("杨志远", Team.PEOPLES, "栖凤街道人民调解委员会", Profession.TEACHER, [N, C], "普通话", 5),
    ("朱文斌", Team.PEOPLES, "凤鸣社区人民调解委员会", Profession.OTHER, [RE, P], "普通话", 5),
    ("秦美华", Team.PEOPLES, "梧桐社区人民调解委员会", Profession.ELDER, [N, F], "杭州话", 4),
    ("尤振华", Team.PEOPLES, "桂苑社区人民调解委员会", Profession.OTHER, [R, D], "普通话", 5),
    ("何静怡", Team.PEOPLES, "兰亭社区人民调解委员会", Profession.PSYCHOLOGIST, [F, N], "普通话、粤语", 4),
    ("吕建军", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [N, T, D], "普通话", 6),
    ("施海涛", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [T, N], "普通话、杭州话", 6),
    ("张晓峰", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [N, P, R], "普通话", 5),
    ("孔令伟", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [D, C], "普通话", 5),
    ("曹丽娜", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [F, N], "普通话", 5),
    ("严国华", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [T, M], "普通话", 4),
    ("华永康", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [N, RE], "杭州话", 5),
    ("金卫东", Team.PUBLIC_SECURITY, "栖凤派出所", Profession.POLICE, [L, D], "普通话", 5),
    ("魏红霞", Team.ADMINISTRATIVE, "区住建局", Profession.OFFICIAL, [RE, P, LA], "普通话", 4),
    ("陶志刚", Team.ADMINISTRATIVE, "区人社局劳动监察大队", Profession.OFFICIAL, [L], "普通话", 5),
    ("姜慧敏", Team.ADMINISTRATIVE, "栖凤市场监管所", Profession.OFFICIAL, [C, M], "普通话", 5),
    ("戚建新", Team.ADMINISTRATIVE, "栖凤街道城管中队", Profession.OFFICIAL, [RE, N], "杭州话", 4),
    ("谢雅琴", Team.ADMINISTRATIVE, "区卫健局医调委", Profession.OFFICIAL, [M], "普通话", 3),
    ("邹立群", Team.ADMINISTRATIVE, "栖凤街道征迁办", Profession.OFFICIAL, [LA], "普通话、杭州话", 3),
    ("喻文涛", Team.ADMINISTRATIVE, "区住建局物业科", Profession.OFFICIAL, [P, R], "普通话", 4),
    ("柏承志", Team.JUDICIAL, "栖凤司法所", Profession.OFFICIAL, [N, F, D], "普通话", 5),
    ("水若兰", Team.JUDICIAL, "区法院诉调对接中心", Profession.RETIRED_JUDGE, [D, F, LA], "普通话", 4),
    ("窦明远", Team.JUDICIAL, "区法院诉调对接中心", Profession.RETIRED_JUDGE, [L, T, C], "普通话", 4),
    ("章慧君", Team.JUDICIAL, "浙江凤鸣律师事务所", Profession.LAWYER, [R, D, C], "普通话", 5),
    ("云海生", Team.JUDICIAL, "浙江桂苑律师事务所", Profession.LAWYER, [L, T], "普通话、英语", 5),
    ("苏宛如", Team.JUDICIAL, "区公共法律服务中心", Profession.LAWYER, [F, R, P], "普通话", 5),
    ("潘振宇", Team.JUDICIAL, "栖凤司法所", Profession.OFFICIAL, [N, O], "杭州话", 5),
]


@transaction.atomic
def build_roster(*, street: Street) -> list[Mediator]:
    """Create (or find) the demo mediators serving the street's communities. Idempotent."""
    communities = list(Community.objects.filter(street=street).order_by("name"))
    mediators = []
    for index, (name, team, org, profession, specialties, dialects, capacity) in enumerate(ROSTER):
        mediator, created = Mediator.objects.get_or_create(
            name=name, organisation=org,
            defaults={"team": team, "profession": profession, "dialects": dialects,
                      "capacity": capacity,
                      "introduction": f"{org}调解员，从事矛盾纠纷调解多年，群众口碑好。"},
        )
        if created:
            Specialty.objects.bulk_create([Specialty(mediator=mediator, category=c) for c in specialties])
            # community mediators serve their community; street-level ones serve them all
            served = [c for c in communities if c.name[:2] in org] or communities
            mediator.communities.set(served)
        mediators.append(mediator)
    first = mediators[0]
    if first.user_id is None:
        account = get_user_model().objects.get(username="mediator1")
        account.first_name = first.name
        account.save(update_fields=["first_name"])
        first.user = account
        first.save(update_fields=["user"])
    return mediators
