"""Every page's HTML, as several roles, in its blank and its error states: no id twice, and every
reference to an id (label for=, aria-describedby, aria-labelledby, aria-controls, form=, an
in-page link) names an id that exists. A dangling reference silently drops a field's name or
its error for screen readers; a duplicate id gives one field the other's label."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.a11y_pages import ROLES, build_data, page_types

pytestmark = pytest.mark.django_db

REFERENCES = ("for", "aria-describedby", "aria-labelledby", "aria-controls", "form")


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.duplicates, self.references = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            if attrs["id"] in self.ids:
                self.duplicates.append(f"<{tag} id={attrs['id']!r}>")
            self.ids.add(attrs["id"])
        for name in REFERENCES:
            if name == "form" and tag not in ("button", "input", "select", "textarea", "fieldset"):
                continue
            value = attrs.get(name)
            if value is None:
                continue
            if not value.strip():
                self.references.append((tag, name, value, ""))
            for ref in value.split():
                self.references.append((tag, name, value, ref))
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.references.append((tag, "href", href, href[1:]))

    handle_startendtag = handle_starttag


def problems(html: str) -> list[str]:
    parser = IdCollector()
    parser.feed(html)
    found = [f"duplicate id: {d}" for d in parser.duplicates]
    for tag, name, value, ref in parser.references:
        if ref not in parser.ids:
            found.append(f'<{tag} {name}="{value}">: no element has id {ref!r}')
    return found


# Error states: what a user gets back after sending a form empty.
def error_posts(d):
    reported, triaged, mediating = d.cases["reported"], d.cases["triaged"], d.cases["mediating"]
    return [
        ("intake-errors", reverse("cases:create"), {"parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "0",
                                                    "parties-MIN_NUM_FORMS": "1", "parties-MAX_NUM_FORMS": "20"}),
        ("comment-error", reverse("cases:comment", args=[triaged.pk]), {}),
        ("attachment-error", reverse("cases:attach", args=[triaged.pk]), {}),
        ("transition-error", reverse("cases:transition", args=[reported.pk, "withdraw"]),
         {"withdraw-version": str(reported.version)}),
        ("triage-error", reverse("cases:transition", args=[reported.pk, "triage"]),
         {"triage-version": str(reported.version)}),
        ("supervision-error", reverse("cases:supervise", args=[triaged.pk]), {}),
        ("follow-up-error", reverse("cases:follow_up", args=[d.cases["resolved"].pk,
                                                             d.cases["resolved"].follow_ups.first().pk]), {}),
        ("session-errors", reverse("mediators:session_create", args=[mediating.pk]), {}),
        ("agreement-errors", reverse("mediators:agreement_create", args=[mediating.pk]), {}),
        ("call-errors", reverse("cases:call_create"), {}),
        ("password-errors", reverse("password_change"), {}),
        ("meeting-form-errors", reverse("cases:meeting_create"), {}),
        ("minutes", reverse("cases:meeting_minutes", args=[d.meeting.pk]), {}),
    ]


@pytest.fixture
def data(world):
    return build_data(world)


def test_the_sign_in_page_and_its_error_state(client):
    found = [f"sign-in: {p}" for p in problems(client.get(reverse("login")).content.decode())]
    response = client.post(reverse("login"), {"username": "worker1", "password": "wrong"})
    found += [f"sign-in error: {p}" for p in problems(response.content.decode())]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("role", ROLES)
def test_no_duplicate_ids_and_no_dangling_references(client, world, data, role):
    client.force_login(get_user_model().objects.get(username=role))  # build_data adds the contact
    found, seen = [], 0
    pages = [(pt.name, "get", pt.url, None) for pt in page_types(data)]
    pages += [(name, "post", url, body) for name, url, body in error_posts(data)]
    pages += [("case-list", "get", reverse("cases:list"), None),
              ("meeting-new", "get", reverse("cases:meeting_create"), None),
              ("mediator-new", "get", reverse("mediators:create"), None),
              ("mediator-edit", "get", reverse("mediators:edit", args=[data.mediator.pk]), None)]
    for name, method, url, body in pages:
        response = client.get(url) if method == "get" else client.post(url, body)
        if response.status_code in (301, 302) or not response.get("Content-Type", "").startswith("text/html"):
            continue
        seen += 1
        found += [f"{name} [{role}, {response.status_code}] {url}: {p}"
                  for p in problems(response.content.decode())]
    assert seen > 20
    assert not found, "\n".join(found)
