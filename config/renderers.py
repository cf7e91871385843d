"""The form renderer: Django's own widget and form templates, rendered by Jinja2.

A case page renders a dozen forms and a list's filters a dozen selects; every widget, and every
option of a select, is a template. Django ships each of its form templates twice, for its own
engine and for Jinja2 (django/forms/jinja2), and with Jinja2 a form renders in half the time (a
form of six fields and 33 choices: 6.8 → 3.3 ms; a district leader's case page spent 10 ms less
CPU on the bench machine, a case list 6 ms). The markup is the same (tests/test_form_renderer.py
compares the two). A template that exists only for Django's engine — the admin's widgets, a
package's — is rendered by it, as before.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self):
        self.jinja2, self.django = Jinja2(), DjangoTemplates()
        self._django_only = set()  # names Jinja2 did not find: not looked for again

    def get_template(self, template_name):
        if template_name not in self._django_only:
            try:
                return self.jinja2.get_template(template_name)
            except TemplateDoesNotExist:
                self._django_only.add(template_name)
        return self.django.get_template(template_name)
