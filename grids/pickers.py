"""Choosing one place among thousands: no page ships a select of every grid or community.

A choice that may offer more than PLAIN_MAX places becomes a search picker (`searchable`): a
search box followed by a short select holding the current choice and at most RESULTS matches.
With JavaScript, typing asks the server for the matches (htmx, `grids:grid_search` or
`grids:community_search`) and they replace the select's options; without it, the form is sent
with the text typed, and the page comes back with the matches to choose from. The field keeps
validating against every place the user may choose.
"""

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

PLAIN_MAX = 200  # up to this many places, a plain select is fine
RESULTS = 20


def grid_label(grid) -> str:
    return f"{grid.community.name} · {grid.name}"


def community_label(community) -> str:
    return f"{community.street.name} · {community.name}"


def matching_grids(grids, text: str):
    """Grids of `grids` whose name, code or community contains `text`, at most RESULTS."""
    text = text.strip()
    if not text:
        return grids.none()
    found = Q(name__icontains=text) | Q(code__icontains=text) | Q(community__name__icontains=text)
    return grids.filter(found).select_related("community").order_by("community__name", "name", "id")[:RESULTS]


def matching_communities(communities, text: str):
    """Communities whose name or street contains `text`, at most RESULTS."""
    text = text.strip()
    if not text:
        return communities.none()
    found = Q(name__icontains=text) | Q(street__name__icontains=text)
    return communities.filter(found).select_related("street").order_by("street__name", "name", "id")[:RESULTS]


KINDS = {  # kind -> (matching, label, URL name, what the label reads)
    "grid": (matching_grids, grid_label, "grids:grid_search", "community"),
    "community": (matching_communities, community_label, "grids:community_search", "street"),
}


class SearchSelect(forms.Select):
    """A search box, then the select of the few options the form was given (see module)."""

    SEARCH_HELP = gettext_lazy("Type part of the name, then choose from the list below.")

    def __init__(self, *, search_url: str, count: int | None = None, attrs=None):
        super().__init__(attrs)
        self.search_url, self.count = search_url, count

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.search_url, copy.count = self.search_url, self.count
        return copy

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        select_id = attrs.get("id") or f"id_{name}"
        attrs["id"] = select_id
        typed = self.typed or ""
        search = format_html(
            '<label class="visually-hidden" for="{id}_q">{label}</label>'
            '<input type="search" class="form-control form-control-sm mb-1" id="{id}_q" name="{name}_q" '
            'value="{typed}" autocomplete="off" aria-describedby="{id}_qhelp {id}_status" '
            'hx-get="{url}" hx-trigger="input changed delay:300ms, search" hx-target="#{id}" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-vals=\'{{"status": "{id}_status"}}\'>'
            '<div class="visually-hidden" id="{id}_qhelp">{help}</div>',
            id=select_id, name=name, typed=typed, url=self.search_url, help=self.SEARCH_HELP,
            label=_("Search: %(what)s") % {"what": self.what} if self.what else _("Search"))
        status = format_html('<div class="visually-hidden" role="status" id="{}_status">{}</div>',
                             select_id, matches_text(self.count) if self.count is not None else "")
        return format_html("{}{}{}", search, super().render(name, value, attrs, renderer), status)

    typed = ""
    what = ""  # the field's label, for the search box's own


def matches_text(count: int) -> str:
    return ngettext("%(n)s match", "%(n)s matches", count) % {"n": count}


def searchable(field, *, kind: str, choices, data, name: str, initial=None, size: int | None = None,
               url_query: str = "") -> None:
    """Make `field` (a ModelChoiceField over `choices`, every place the user may choose) a
    search picker when it could offer more than PLAIN_MAX places: it shows the chosen one (from
    `data`, else `initial`) and the matches for what was typed in `<name>_q`. `url_query` narrows the search
    endpoint the same way (e.g. "roles=community_worker"); `size`, the number of choices when
    the caller knows it (else one query counts up to PLAIN_MAX + 1)."""
    field.queryset = choices
    if (choices[: PLAIN_MAX + 1].count() if size is None else size) <= PLAIN_MAX:
        return
    matching, label, url_name, related = KINDS[kind]
    typed = (data.get(f"{name}_q") or "").strip() if data else ""
    chosen = (data.get(name) if data else None) or initial
    shown = list(matching(choices, typed)) if typed else []
    if chosen and str(chosen).isdigit() and len(str(chosen)) < 19 and not any(str(p.pk) == str(chosen) for p in shown):
        shown = list(choices.filter(pk=int(chosen)).select_related(related)[:1]) + shown
    url = reverse(url_name) + (f"?{url_query}" if url_query else "")
    widget = SearchSelect(search_url=url, count=len(shown) if typed else None, attrs=field.widget.attrs)
    widget.typed, widget.what = typed, str(field.label or "")
    widget.is_required = field.required
    field.widget = widget
    widget.choices = [("", field.empty_label or "")] + [(p.pk, label(p)) for p in shown]
