"""The transition registry is complete, and the case page offers exactly what each user may do:
every button shown posts (or opens) without a 403."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from cases import permissions
from cases.models import Case
from cases.transitions import REGISTRY, from_state
from grids import access
from grids.roles import Role
from mediators.models import Mediator
from tests.factories import a_department, case_in_state, choose, person

pytestmark = pytest.mark.django_db

ALL_TRANSITIONS = {t.name for t in Case().get_all_state_transitions()}


def test_every_state_machine_transition_has_exactly_one_registry_entry():
    assert set(REGISTRY) == ALL_TRANSITIONS


@pytest.mark.parametrize("name", sorted(ALL_TRANSITIONS))
def test_each_entry_has_a_label_a_form_roles_and_a_message_for_each_condition(name):
    spec = REGISTRY[name]
    assert str(spec.label) and spec.form is not None and spec.roles
    for transition in Case().get_all_state_transitions():
        if transition.name == name:
            missing = [c.__name__ for c in transition.conditions if c not in spec.unmet]
            assert missing == [], f"{name}: no message for {missing}"
    assert spec.fields <= {f.name for f in Case._meta.get_fields()}


def test_from_state_follows_the_state_machine():
    assert [s.name for s in from_state("reported")] == ["triage", "withdraw"]
    assert {s.name for s in from_state("resolved")} == {"reopen", "close"}
    assert from_state("closed") == []


def test_resolving_a_case_the_street_took_up_is_for_leaders_only():
    assert Role.WORKER in REGISTRY["resolve"].roles_for("mediating")
    assert Role.WORKER not in REGISTRY["resolve"].roles_for("escalated")


class Buttons(HTMLParser):
    """The forms (POST) and button-links on a page."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self._form = {"action": attrs.get("action"), "data": {}}
            self.forms.append(self._form)
        elif tag in ("input", "textarea") and self._form is not None and attrs.get("name"):
            self._form["data"].setdefault(attrs["name"], attrs.get("value", ""))
        elif tag == "a" and "btn" in attrs.get("class", "") and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


STATES = ["reported", "triaged", "mediating", "escalated", "referred", "resolved", "closed", "withdrawn"]
USERS = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "admin", "mediator1", "contact"]
SKIP = ("/i18n/", "/accounts/logout/")


@pytest.fixture
def contact(world):
    user = person("dept_contact_buttons", Role.DEPARTMENT)
    a_department().contacts.add(user)
    return user


def a_case(world, state, contact):
    chen = Mediator.objects.get(user=world.mediator1)
    case = case_in_state("triaged" if state not in ("reported", "withdrawn") else state,
                         grid=world.grid1, actor=world.admin)
    if state not in ("reported", "withdrawn"):
        choose(case, world.admin, mediator=chen)
        from tests.factories import PATH_TO, act

        for action in PATH_TO[state][1:]:
            extra = {}
            if action == "refer":
                extra = {"referral": {"department": a_department(), "request": "请依职责处理",
                                      "deadline": "2099-12-31", "contact": contact}}
            case = act(Case.objects.get(pk=case.pk), action, world.admin, **extra)
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("username", USERS)
def test_every_button_a_user_sees_works_for_them(client, world, contact, username, state):
    case = a_case(world, state, contact)
    user = contact if username == "contact" else getattr(world, username)
    access.forget(user)
    client.force_login(user)
    page = client.get(case.get_absolute_url())
    if not permissions.can(user, "view", case):
        assert page.status_code == 404
        return
    assert page.status_code == 200
    buttons = Buttons()
    buttons.feed(page.content.decode())
    shown = {name for name, _label, _form in page.context["transition_forms"]}
    assert shown == set(permissions.transitions_for(user, case))
    for link in buttons.links:
        if not link.startswith(SKIP):
            assert client.get(link).status_code not in (403, 404, 500), f"{username} {state}: {link}"
    for form in buttons.forms:
        if form["action"].startswith(SKIP):
            continue
        status = client.post(urlsplit(form["action"]).path, form["data"]).status_code
        assert status not in (403, 404, 500), f"{username} {state}: POST {form['action']} -> {status}"


def test_a_leader_sees_no_call_button_and_may_not_call(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    client.force_login(world.stationlead)
    page = client.get(case.get_absolute_url())
    assert "call" not in page.context["caps"]
    assert reverse("cases:call_create") not in page.content.decode()
    assert client.get(reverse("cases:call_create") + f"?case={case.pk}").status_code == 403
