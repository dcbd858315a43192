"""The search form: the query line and the same filters as fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from countries.reference import country_choices
from forum import visibility
from search.analysis import QUERY_MAX, Query, QueryError, apply_filter, parse
from search.query import SORTS

KIND_CHOICES = [
    ("", _("Everything")),
    ("threads", _("Thread titles")),
    ("posts", _("Posts")),
    ("chat", _("Meeting chat")),
]
SORT_CHOICES = [("relevance", _("Relevance")), ("newest", _("Newest first"))]
# The fields that filter, by the name of their query-line key.
FILTER_FIELDS = {"group": "group", "author": "author", "country": "country",
                 "after": "after", "before": "before", "kind": "in"}  # fmt: skip


class SearchForm(forms.Form):
    # No max_length here: a longer query gets the analysis module's own message.
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "dir": "auto", "maxlength": QUERY_MAX + 100}
        ),
        help_text=_(
            'Every word must match. "Exact phrase", -word to leave out, and filters: '
            "group: author: country: before:2026-01-31 after:2026-01-01 in:threads|posts|chat."
        ),
    )
    group = forms.ChoiceField(label=_("Working group"), required=False)
    author = forms.CharField(label=_("Author (handle)"), required=False, max_length=50)
    country = forms.ChoiceField(label=_("Author's country"), required=False)
    after = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.DateField(
        label=_("Before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Look in"), required=False, choices=KIND_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, viewer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups = visibility.visible_groups(viewer).order_by("name").values_list("slug", "name")
        self.fields["group"].choices = [("", _("All my groups")), *groups]
        self.fields["country"].choices = [("", _("Any country")), *country_choices()]
        self.query: Query | None = None

    @property
    def asked(self) -> bool:
        """Whether anything was asked at all (an empty /search/ just shows the form)."""
        return self.is_bound and any(self.data.get(name) for name in ("q", *FILTER_FIELDS))

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        filters = {key: data.get(name) for name, key in FILTER_FIELDS.items() if data.get(name)}
        text = data.get("q") or ""
        try:
            query = parse(text) if text.strip() or not filters else Query()
            for key, value in filters.items():
                apply_filter(query, key, value.isoformat() if key in ("after", "before") else value)
        except QueryError as error:
            self.add_error("q", str(error))
            return data
        self.query = query
        return data

    @property
    def sort_order(self) -> str:
        sort = self.cleaned_data.get("sort") or "relevance"
        return sort if sort in SORTS else "relevance"
