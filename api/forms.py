"""The form that makes a personal access token."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from api.actions.tokens import NAME_MAX, default_days, max_days
from api.models import Scope
from forum.forms import TextField


class TokenForm(forms.Form):
    name = TextField(
        label=_("Name"),
        max_length=NAME_MAX,
        help_text=_("What the token is for, e.g. “Ministry intranet sync”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, initial=default_days
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["expires_in_days"]
        days.max_value = max_days()
        days.validators.append(MaxValueValidator(max_days()))
        days.widget.attrs["max"] = max_days()
        days.help_text = _("At most %(max)d days.") % {"max": max_days()}
