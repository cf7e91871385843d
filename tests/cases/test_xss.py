"""Script in any text a user typed is shown as text, never run."""

import pytest
from django.urls import reverse

from cases.models import Party
from tests.factories import a_department, act, make_case

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"

CASE_TEXT_FIELDS = ["title", "description", "address", "incident_number"]
PARTY_TEXT_FIELDS = ["name", "address", "notes"]


@pytest.fixture
def poisoned(world):
    case = make_case(
        grid=world.grid1, actor=world.officer1, **{f: XSS[:40] if f == "incident_number" else XSS
                                                   for f in CASE_TEXT_FIELDS},
        parties=[Party(role="applicant", **{f: XSS for f in PARTY_TEXT_FIELDS})],
    )
    case = act(case, "triage", world.officer1)
    case = act(case, "escalate", world.officer1)
    from datetime import date

    from cases import workflow
    department = a_department(name=XSS[:100])
    workflow.run_transition(case_id=case.pk, action="refer", actor=world.stationlead,
                            version=case.version, changes={"referred_to": department.name}, note=XSS,
                            referral={"department": department, "request": XSS,
                                      "deadline": date(2030, 1, 1)})
    workflow.add_comment(case=case, actor=world.officer1, text=XSS)
    return case


def test_the_detail_page_escapes_every_field(client, world, poisoned):
    client.force_login(world.stationlead)
    html = client.get(poisoned.get_absolute_url()).content.decode()
    assert XSS not in html and XSS[:40] not in html
    assert html.count(ESCAPED) >= len(CASE_TEXT_FIELDS) - 1 + len(PARTY_TEXT_FIELDS) + 2


def test_the_list_and_work_bench_escape_titles(client, world, poisoned):
    client.force_login(world.stationlead)
    for url in (reverse("cases:list"), reverse("cases:workbench")):
        html = client.get(url).content.decode()
        assert XSS not in html and ESCAPED in html
