"""Every page type of the app, with data that puts each in its interesting states: shared by the
accessibility tests (tests/e2e/test_accessibility_browser.py: axe, keyboard, tap targets) and
the HTML id check (tests/test_html_ids.py)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD, a_department, act, case_in_state, choose, make_case, person

# The roles every accessibility check runs as: usernames from tests/conftest.py PEOPLE, and the
# department contact that build_data adds (she is not a demo account: PASSWORDS says how she
# signs in).
CONTACT = "dept_housing"
ROLES = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "mediator1", CONTACT, "admin"]
PASSWORDS = {CONTACT: TEST_PASSWORD}


@dataclass
class Data:
    """The cases, mediator, meeting… that the pages show."""

    cases: dict = field(default_factory=dict)  # state label -> Case
    mediator: object = None
    meeting: object = None
    incident: object = None
    batch: object = None
    grid: object = None
    street: object = None


def build_data(w) -> Data:
    """Cases in each state but "withdrawn" (like "closed": no forms) on worker1's grid, with
    the loop around them: a mediator chosen
    (陈桂兰, mediator1's account), a session and an agreement, a referral, a supervision
    instruction, a pending follow-up visit, calls both ways, and a joint meeting. The referral
    goes to the department's contact account (CONTACT), who sees that one case."""
    from cases import loop
    from grids.roles import Role
    from mediators import services
    from mediators.models import Mediator

    chen = Mediator.objects.get(user=w.mediator1)
    department = a_department("区住建局", "housing")
    contact = person(CONTACT, Role.DEPARTMENT)
    department.contacts.add(contact)
    d = Data(mediator=chen, grid=w.grid1, street=w.qifeng)
    d.cases["reported"] = make_case(grid=w.grid1, actor=w.worker1, title="楼道堆放杂物引发争吵")
    d.cases["triaged"] = case_in_state("triaged", grid=w.grid1, actor=w.officer1)

    mediating = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    choose(mediating, w.officer1, chen)
    mediating = act(mediating, "start_mediation", w.officer1)
    services.record_session(
        case=mediating, actor=w.officer1, mediators=[chen], held_at=timezone.now(),
        place="社区调解室", attendees="双方当事人、网格员", format="joint",
        record="双方陈述事实，调解员讲明法理。", outcome="continue")
    d.cases["mediating"] = mediating

    agreed = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    choose(agreed, w.officer1, chen)
    agreed = act(agreed, "start_mediation", w.officer1)
    services.record_agreement(
        case=agreed, actor=w.officer1, parties=list(agreed.parties.all()), mediators=[chen],
        facts="楼上装修改水管后楼下卫生间渗水。", terms="一、楼上业主赔偿维修费3000元；\n二、七日内重做防水。",
        fulfilment="当场支付。", fulfil_by=timezone.localdate() + timedelta(days=30),
        signed_on=timezone.localdate(), place="社区调解室")
    d.cases["agreed"] = agreed

    escalated = case_in_state("escalated", grid=w.grid1, actor=w.stationlead)
    escalated.__class__.objects.filter(pk=escalated.pk).update(risk="major")
    d.cases["escalated"] = escalated
    d.cases["referred"] = act(case_in_state("escalated", grid=w.grid1, actor=w.streetlead), "refer", w.streetlead,
                              referral={"department": department, "request": "请依职责修复公共管道",
                                        "contact": contact, "deadline": timezone.localdate() + timedelta(days=10)})
    d.cases["resolved"] = case_in_state("resolved", grid=w.grid1, actor=w.officer1)  # follow-up due
    d.cases["closed"] = case_in_state("closed", grid=w.grid1, actor=w.officer1)

    overdue = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    overdue.__class__.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(days=2))
    loop.issue_supervision(case=overdue, actor=w.streetlead, text="三日内上门回访并报告",
                           deadline=timezone.localdate() + timedelta(days=3))
    d.cases["overdue"] = overdue

    loop.place_call(actor=w.worker1, grid=w.grid1, message="楼道有人争吵，请民警到场", case=d.cases["reported"])
    loop.place_call(actor=w.officer1, grid=w.grid1, message="请网格员协助核实当事人住址")
    d.meeting = loop.create_meeting(actor=w.streetlead, street=w.qifeng,
                                    held_on=timezone.now() + timedelta(days=2), place="街道综治中心会议室",
                                    attendees="街道、派出所、各社区")
    loop.save_minutes(meeting=d.meeting, actor=w.streetlead, minutes="一、逐案研究重点纠纷。\n二、明确责任人和时限。")

    # 110 incidents at the cases' building (the radar and the repeat list have something), a
    # related case, and an import waiting for confirmation
    from cases import links
    from cases.addresses import address_key
    from grids.models import PoliceGridUserObjectPermission
    from incidents.models import ImportBatch, Incident

    links.link_cases(case=d.cases["triaged"], other=d.cases["mediating"], actor=w.officer1, note="同一楼栋漏水")
    police_grid = PoliceGridUserObjectPermission.objects.get(user=w.officer1).content_object
    address = d.cases["triaged"].address
    for number, days in (("J2026A11Y1", 40), ("J2026A11Y2", 20), ("J2026A11Y3", 1)):
        d.incident = Incident.objects.create(
            number=number, reported_at=timezone.now() - timedelta(days=days), caller_name="王建国",
            caller_phone="13812345678", address=address, address_key=address_key(address), kind="纠纷",
            summary="楼上漏水，双方争吵", police_grid=police_grid)
    d.batch = ImportBatch.objects.create(
        file="imports/a11y.csv", original_name="接处警记录.csv", uploaded_by=w.officer1, status="checked",
        total_rows=1, processed_rows=1, new_rows=1, police_grid_ids=[police_grid.pk],
        preview=[{"number": "J2026A11Y9", "reported_at": "2026-12-01 10:00", "caller_name": "王建国",
                  "caller_phone": "138****5678", "address": address, "kind": "纠纷", "summary": "漏水",
                  "police_grid": police_grid.code}])

    # the statistics pages have figures, charts and rankings to show
    from stats.refresh import refresh

    refresh()
    return d


@dataclass(frozen=True)
class PageType:
    name: str
    url: str
    # The states checked, in order, each reached from the one before: "" as loaded, "open"
    # opens every collapsed form and <details>, "submit:<selector>" sends that form as it is
    # (blank, or with its initial values) and checks the page that comes back with the errors.
    states: tuple[str, ...] = ("",)


def page_types(d: Data) -> list[PageType]:
    """Every page type, for any role (those a role may not open answer 403/404: the browser
    test checks one error page of each kind per role and skips the rest)."""
    cases = dict(d.cases)
    reported, triaged = cases.pop("reported"), cases.pop("triaged")
    mediating, agreed = d.cases["mediating"], d.cases["agreed"]
    post_form = "submit:main form[method=post]"
    return [
        PageType("workbench", reverse("cases:workbench")),
        PageType("case-list-filtered", reverse("cases:list") + "?q=楼道&state=triaged&overdue=on"),
        PageType("intake", reverse("cases:create"), ("", post_form)),
        PageType("case-reported", reported.get_absolute_url(), ("open", "submit:#act-withdraw form")),
        PageType("case-triaged", triaged.get_absolute_url(), ("open", "submit:#comment-form")),
        *(PageType(f"case-{label}", case.get_absolute_url(), ("open",)) for label, case in cases.items()),
        # corrections after intake, each sent as it stands (unchanged, blank): its error state
        PageType("case-edit", reverse("cases:edit", args=[triaged.pk]), ("", post_form)),
        PageType("party-add", reverse("cases:party_add", args=[triaged.pk]), ("", post_form)),
        PageType("party-edit", reverse("cases:party_edit", args=[triaged.pk, triaged.parties.first().pk])),
        PageType("hand-over", reverse("cases:hand_over", args=[triaged.pk])),
        PageType("move-grid", reverse("cases:move_grid", args=[triaged.pk]), ("", post_form)),
        PageType("joint-team", reverse("cases:team", args=[triaged.pk]), ("", post_form)),
        PageType("meeting-call", reverse("cases:meeting_call", args=[triaged.pk]), ("", post_form)),
        PageType("supermarket", reverse("mediators:supermarket")),
        PageType("mediator-new", reverse("mediators:create"), ("", post_form)),
        PageType("mediator-edit", reverse("mediators:edit", args=[d.mediator.pk])),
        PageType("supermarket-choosing", reverse("mediators:supermarket") + f"?case={triaged.pk}"),
        PageType("mediator-profile", d.mediator.get_absolute_url()),
        PageType("session-form", reverse("mediators:session_create", args=[mediating.pk]), ("", post_form)),
        PageType("agreement-form", reverse("mediators:agreement_create", args=[mediating.pk])),
        PageType("agreement-print", reverse("mediators:agreement", args=[agreed.pk])),
        PageType("case-file", reverse("cases:case_file", args=[agreed.pk])),
        PageType("calls", reverse("cases:calls")),
        PageType("call-form", reverse("cases:call_create")),
        PageType("ledger", reverse("cases:ledger")),
        PageType("dashboard", reverse("cases:dashboard")),
        PageType("meetings", reverse("cases:meetings")),
        PageType("meeting-new", reverse("cases:meeting_create"), ("", post_form)),
        PageType("meeting", reverse("cases:meeting", args=[d.meeting.pk])),
        PageType("meeting-print", reverse("cases:meeting_print", args=[d.meeting.pk])),
        PageType("street-map", d.street.get_absolute_url()),
        PageType("street-index", reverse("grids:street_index") + "?q=街道"),
        PageType("grid", d.grid.get_absolute_url()),
        PageType("notifications", reverse("cases:notifications")),
        PageType("notification-settings", reverse("cases:notification_settings")),
        PageType("password-change", reverse("password_change"), ("", post_form)),
        PageType("case-merge", reverse("cases:merge", args=[triaged.pk]), ("", post_form)),
        PageType("incidents", reverse("incidents:list")),
        PageType("incident", d.incident.get_absolute_url(), ("", "submit:#on-spot-form")),
        PageType("incident-to-case", reverse("incidents:to_case", args=[d.incident.pk]), ("", post_form)),
        PageType("incident-import", reverse("incidents:import"), ("", post_form)),
        PageType("incident-import-preview", d.batch.get_absolute_url()),
        PageType("repeats", reverse("incidents:repeats")),
        # statistics: the figures (with the period picker's errors), a list behind a figure, the report
        PageType("stats", reverse("stats:index")),
        PageType("stats-period-errors", reverse("stats:index") + "?period=custom&start=2026-02-30&end=x"),
        PageType("stats-year", reverse("stats:index") + f"?period=year&year={timezone.localdate().year}"),
        PageType("stats-cases", reverse("stats:cases") + "?figure=reported"),
        PageType("stats-report", reverse("stats:report") + f"?month={timezone.localdate():%Y-%m}"),
        PageType("not-found", "/cases/999999/"),
    ]
