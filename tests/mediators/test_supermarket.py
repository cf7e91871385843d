from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mediators import selectors, services
from mediators.models import Mediator, Specialty
from tests.factories import a_mediator, act, case_in_state, choose
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db
URL = reverse("mediators:supermarket")


def names(client, query=""):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return [m.name for m, _f, _s in response.context["rows"]]


def mediator(name, *, specialties=(), communities=(), **fields):
    m = a_mediator(name=name, **fields)
    Specialty.objects.bulk_create([Specialty(mediator=m, category=c) for c in specialties])
    m.communities.set(communities)
    return m


def test_filters_by_team_specialty_community_and_availability(client, world):
    Mediator.objects.all().delete()
    community = world.grid1.community
    mediator("甲", team="judicial", specialties=["debt"], communities=[community], capacity=1)
    mediator("乙", team="peoples", specialties=["neighbour", "debt"])
    mediator("丙", team="peoples", specialties=["family"], active=False)
    choose(case_in_state("triaged", grid=world.grid1, actor=world.officer1), world.officer1,
           Mediator.objects.get(name="甲"))  # 甲 is now full
    client.force_login(world.worker1)
    assert sorted(names(client)) == ["乙", "甲"]  # retired 丙 hidden by default
    assert names(client, "team=judicial") == ["甲"]
    assert sorted(names(client, "specialty=debt")) == ["乙", "甲"]
    assert names(client, "specialty=neighbour") == ["乙"]
    assert names(client, f"community={community.pk}") == ["甲"]
    assert names(client, "available=on") == ["乙"]
    assert sorted(names(client, "retired=on")) == ["丙", "乙", "甲"]


def test_a_mediator_is_found_by_part_of_the_name(client, world):
    Mediator.objects.all().delete()
    mediator("陈桂兰", team="peoples")
    mediator("陈建国", team="judicial")
    mediator("王秀英", team="peoples")
    mediator("陈老师", team="peoples", active=False)
    client.force_login(world.worker1)
    assert sorted(names(client, "name=陈")) == ["陈建国", "陈桂兰"]  # the retired one stays hidden
    assert names(client, "name=+桂兰+") == ["陈桂兰"]                 # spaces around are ignored
    assert names(client, "name=陈&team=judicial") == ["陈建国"]
    assert names(client, "name=张") == []
    # choosing for a case: the search keeps the case, and the ranking applies to what is found
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.get(f"{URL}?case={case.pk}&name=秀英")
    assert response.context["case"] == case
    assert [m.name for m, _f, _s in response.context["rows"]] == ["王秀英"]


def test_suggestions_put_the_best_match_first_and_say_why(world):
    Mediator.objects.all().delete()
    community = world.grid1.community
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)  # renovation
    both = mediator("专长且本社区", specialties=["renovation"], communities=[community])
    specialty = mediator("仅专长", specialties=["renovation"])
    local = mediator("仅本社区", communities=[community])
    neither = mediator("都不符合")
    full = mediator("专长但已满", specialties=["renovation"], communities=[community], capacity=1)
    choose(case_in_state("triaged", grid=world.grid1, actor=world.officer1), world.officer1, full)
    ranked = selectors.suggestions(case)
    assert [s.mediator for s in ranked] == [both, specialty, local, neither, full]
    reasons = " ".join(ranked[0].reasons)
    assert "擅长装修施工纠纷" in reasons and f"服务{community.name}" in reasons and "空位" in reasons
    assert not ranked[-1].available and "目前已满" in ranked[-1].reasons


def test_past_success_lifts_a_mediator(world):
    Mediator.objects.all().delete()
    winner, newcomer = mediator("常胜"), mediator("新人")
    done = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(done, world.officer1, winner)
    done = act(done, "start_mediation", world.officer1)
    act(done, "resolve", world.officer1)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    ranked = selectors.suggestions(case)
    assert [s.mediator for s in ranked] == [winner, newcomer]
    assert "成功率 100%" in " ".join(ranked[0].reasons)


def test_figures_are_computed_from_known_cases(world):
    Mediator.objects.all().delete()
    m = mediator("统计对象", capacity=4)
    # two open (one triaged, one mediating), two resolved (one with an agreement 3 days after
    # intake), one escalated after mediation, and one where m was replaced (not counted)
    open1 = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(open1, world.officer1, m)
    open2 = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(open2, world.officer1, m)
    act(open2, "start_mediation", world.officer1)
    resolved = []
    for _ in range(2):
        c = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
        choose(c, world.officer1, m)
        resolved.append(act(c, "start_mediation", world.officer1))
    services.record_agreement(
        case=resolved[0], actor=world.officer1, parties=list(resolved[0].parties.all()), mediators=[m],
        facts="f", terms="t", fulfilment="x", fulfil_by=timezone.localdate(), signed_on=timezone.localdate())
    from cases.models import Case
    Case.objects.filter(pk=resolved[0].pk).update(reported_at=timezone.now() - timedelta(days=3))
    for c in resolved:
        act(Case.objects.get(pk=c.pk), "resolve", world.officer1)
    escalated = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(escalated, world.officer1, m)
    act(act(escalated, "start_mediation", world.officer1), "escalate", world.officer1)
    replaced = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    services.replace_mediator(choice=choose(replaced, world.officer1, m), actor=world.officer1, reason="回避")

    f = selectors.figures([m.pk])[m.pk]
    assert f.open_load == 3  # triaged, mediating, escalated
    assert (f.mediated, f.succeeded) == (3, 2)  # two resolved, one escalated
    assert f.success_rate == pytest.approx(2 / 3)
    assert f.avg_days == pytest.approx(3, abs=0.01)


def test_the_profile_page_shows_the_figures(client, world):
    m = Mediator.objects.get(name="陈桂兰")
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1, m)
    client.force_login(world.officer1)
    html = client.get(m.get_absolute_url()).content.decode()
    assert 'id="fig-load">1 / 6<' in html and 'id="fig-mediated">0<' in html and "人民调解" in html
    assert case.number in html
    assert "warn-blue" in html  # its cases carry the four-colour warning like every list


def test_supermarket_query_count_does_not_grow_with_mediators_or_cases(client, world):
    client.force_login(world.officer1)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    url = f"{URL}?case={case.pk}&specialty=neighbour"
    few, _ = count_queries(client, url)
    for i in range(30):
        mediator(f"新增调解员{i}", specialties=["neighbour", "debt"], communities=[world.grid1.community])
    for _ in range(5):
        choose(case_in_state("triaged", grid=world.grid1, actor=world.officer1), world.officer1,
               Mediator.objects.get(name="新增调解员0"))
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    plain_few, _ = count_queries(client, URL)
    assert plain_few <= few


def test_profile_query_count_does_not_grow_with_cases(client, world):
    m = Mediator.objects.get(name="陈桂兰")
    client.force_login(world.streetlead)
    few, _ = count_queries(client, m.get_absolute_url())
    for _ in range(5):
        choose(case_in_state("triaged", grid=world.grid1, actor=world.officer1), world.officer1, m)
    many, sql = count_queries(client, m.get_absolute_url())
    assert few == many, "\n".join(sql)


def test_the_figures_kept_on_each_mediator_match_the_cases(world):
    """Chosen, replaced, retired, and her cases moving through mediation, escalation,
    resolution and closing: the columns always equal the count from the cases."""
    Mediator.objects.all().delete()
    m, other = mediator("甲", capacity=9), mediator("乙", capacity=9)

    def check():
        counted = selectors.recount([m.pk, other.pk])
        kept = selectors.figures([m.pk, other.pk])
        for pk in (m.pk, other.pk):
            assert (kept[pk].open_load, kept[pk].mediated, kept[pk].succeeded) == (
                counted[pk].open_load, counted[pk].mediated, counted[pk].succeeded)

    closed = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(closed, world.officer1, m)
    choose(closed, world.officer1, other)
    check()
    closed = act(act(closed, "start_mediation", world.officer1), "resolve", world.officer1)
    check()
    act(closed, "close", world.officer1)
    check()
    escalated = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(escalated, world.officer1, m)
    act(escalated, "escalate", world.officer1)
    check()
    replaced = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    services.replace_mediator(choice=choose(replaced, world.officer1, other), actor=world.officer1, reason="回避")
    check()
    services.set_active(actor=world.admin, mediator=m, active=False)
    check()
    m.refresh_from_db()
    assert (m.open_load, m.mediated, m.succeeded) == (0, 0, 0)  # retiring ended every choice
    Mediator.objects.filter(pk=other.pk).update(open_load=99)
    services.recount_figures([other.pk])
    check()


# session, user, the scope (2), the community picker's size, the page's count and rows, their
# specialties and communities, the bell, the navigation's streets and roster communities; for a
# case, its grants, the case with parties, attachments and team, and the choice form's parties
SUPERMARKET_QUERIES = {False: 12, True: 18}


@pytest.mark.parametrize("choosing", [False, True])
def test_supermarket_costs_the_same_few_queries_with_a_thousand_choices(client, world, choosing):
    client.force_login(world.officer1)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    url = f"{URL}?case={case.pk}" if choosing else URL
    few, _ = count_queries(client, url)
    specialties = []
    for i in range(60):  # three pages
        m = Mediator(name=f"调解员{i:03d}", team="peoples", organisation="某调委会", profession="elder",
                     capacity=50, open_load=i % 7, mediated=i, succeeded=i // 2)
        m.save()
        specialties.append(Specialty(mediator=m, category="neighbour"))
        m.communities.set([world.grid1.community])
    Specialty.objects.bulk_create(specialties)
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    assert many <= SUPERMARKET_QUERIES[choosing], "\n".join(sql)
    response = client.get(url)
    assert len(response.context["rows"]) == 24
