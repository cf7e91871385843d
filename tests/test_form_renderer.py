"""The form renderer (config/renderers.py) renders Django's widget templates with Jinja2: the
pages must read exactly as they did with Django's own engine, errors and the admin included."""

import re

import pytest
from django.test import override_settings
from django.test.html import parse_html
from django.urls import reverse

from config.renderers import FormRenderer
from mediators.models import Mediator
from tests.cases.test_case_create import form_data
from tests.factories import case_in_state, make_case

pytestmark = pytest.mark.django_db

DJANGO_ENGINE = "django.forms.renderers.DjangoTemplates"
# per response: the masked CSRF token, the CSP nonce, the intake form's one-time token
VOLATILE = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": "|nonce="|name="intake_token" value=")[^"]+')


def _page(client, method, url, data=None):
    response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 400), (url, response.status_code)  # 400: the form's errors
    return response.status_code, parse_html(VOLATILE.sub(r"\1…", response.content.decode()))


def assert_same_page(client, url, *, method="get", data=None):
    fast = _page(client, method, url, data)
    with override_settings(FORM_RENDERER=DJANGO_ENGINE):
        before = _page(client, method, url, data)
    assert fast == before, url


def test_the_settings_use_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)


def test_case_pages_read_as_with_djangos_engine(client, world, time_machine):
    time_machine.move_to("2026-12-04 10:00:00+08:00", tick=False)  # the intake form's "now"
    reported = make_case(grid=world.grid1, actor=world.worker1)
    mediating = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    assert_same_page(client, reverse("cases:list") + "?state=mediating&q=x")
    assert_same_page(client, reverse("cases:list") + "?reported_from=not-a-date")
    assert_same_page(client, reverse("cases:create"))
    bad = form_data(world.grid1, title="", occurred_at="not-a-time", **{"parties-1-phone": "12"})
    assert_same_page(client, reverse("cases:create"), method="post", data=bad)  # errors beside fields
    assert_same_page(client, reported.get_absolute_url())  # the triage form
    assert_same_page(client, mediating.get_absolute_url())
    assert_same_page(client, reverse("cases:edit", args=[mediating.pk]))
    client.force_login(world.stationlead)
    assert_same_page(client, mediating.get_absolute_url())
    assert_same_page(client, reverse("mediators:supermarket") + f"?case={mediating.pk}")


def test_the_admin_keeps_its_own_widgets(client, world):
    """The admin's widgets exist only for Django's engine: rendered by it, beside Jinja2's."""
    case = make_case(grid=world.grid1, actor=world.worker1)
    mediator = Mediator.objects.filter(user__isnull=False).first()
    client.force_login(world.admin)
    assert_same_page(client, reverse("admin:cases_case_change", args=[case.pk]))
    url = reverse("admin:mediators_mediator_change", args=[mediator.pk])
    assert_same_page(client, url)
    page = client.get(url).content.decode()
    assert 'class="vForeignKeyRawIdAdminField"' in page  # admin/widgets/foreign_key_raw_id.html
    assert "related-widget-wrapper" in page  # admin/widgets/related_widget_wrapper.html
    assert 'name="communities"' in page and "selectfilter" in page  # filter_horizontal


def test_a_select_written_in_python_reads_as_the_templates_wrote_it():
    """config/renderers.py writes selects itself: the same characters as Django's select.html and
    select_option.html under Jinja2 — groups, several chosen, attributes true, false and quoted,
    labels and values that need escaping, a lazy label — and the templates for an option that has
    a template of its own."""
    from django import forms
    from django.forms.renderers import Jinja2
    from django.utils.translation import gettext_lazy

    class Unusual(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    class Form(forms.Form):
        plain = forms.ChoiceField(choices=[("", "---------"), ("a", "A & B"), ("<b>", '"quoted"'),
                                           ("lazy", gettext_lazy("state"))])
        grouped = forms.MultipleChoiceField(choices=[("Fruit", [("1", "apple"), ("2", "pear")]),
                                                     ("3", "loose"), ("Nuts", [("4", "O'Hara")])])
        maybe = forms.NullBooleanField()
        unusual = forms.ChoiceField(choices=[("x", "X")], widget=Unusual)

    form = Form(data={"plain": "<b>", "grouped": ["2", "3"], "maybe": "false"})
    form.fields["plain"].widget.attrs.update({"disabled": True, "data-off": False, "data-none": None,
                                               "title": 'a "t" & <u>', "aria-describedby": "x"})
    written, templated = FormRenderer(), Jinja2()
    for field in form:
        widget = field.field.widget
        context = widget.get_context(field.html_name, field.value(), {"id": field.auto_id})
        ours = written.render(widget.template_name, context)
        assert ours == templated.render(widget.template_name, context), field.name
    assert '<option value="&lt;b&gt;" selected>&#34;quoted&#34;</option>' in str(form["plain"])
    assert "<label><input" in str(form["unusual"])  # its own option template, rendered by it
