"""Ids that come from outside: form fields, query strings, socket frames.

One rule for all of them: an id is ASCII digits (or a JSON integer) from 1 to ID_MAX.
Anything else names nothing, and answers like a missing object: 404.
"""

from __future__ import annotations

import re

from django import forms
from django.http import Http404

# Every table's key is a BigAutoField (DEFAULT_AUTO_FIELD): a signed 64-bit integer on
# PostgreSQL and on SQLite alike. tests/forum/test_ids.py holds every model to it.
ID_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")  # str.isdigit() also takes "²" and "٣"


def parse_id(raw: object) -> int:
    """Return `raw` as a row id, or raise Http404 for anything that cannot be one."""
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        raise Http404("No such object.")
    if not 1 <= value <= ID_MAX:
        raise Http404("No such object.")
    return value


class ModelIdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose submitted id passes `parse_id` first (404 otherwise)."""

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, self.queryset.model):
            return super().to_python(value)
        return super().to_python(parse_id(value))


class ModelIdsChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose submitted ids pass `parse_id` first (404 otherwise)."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            value = [
                v if isinstance(v, self.queryset.model) else parse_id(v)
                for v in self.prepare_value(value)
            ]
        return super().clean(value)
