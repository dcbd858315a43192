"""The endpoint form: what a chair types, re-rendered with its errors when refused."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from countries.reference import country_choices
from webhooks.actions.endpoints import NAME_MAX, URL_MAX
from webhooks.models import EventType, Format


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    url = forms.CharField(
        label=_("URL"),
        max_length=URL_MAX,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("https:// only. The address is stored encrypted and shown masked."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.STANDARD)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(EventType.values),
    )
    include_excerpt = forms.BooleanField(
        label=_("Include the first lines of the text"),
        required=False,
        help_text=_("Otherwise messages carry the title, author and link only."),
    )

    def __init__(self, *args, editing: bool = False, staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Leave empty to keep the current address.")
        if staff:
            self.fields["country"] = forms.ChoiceField(
                label=_("Country (staff only)"),
                choices=[("", _("None: whole-group content only")), *country_choices()],
                required=False,
                help_text=_("The endpoint then also receives this country's domestic threads."),
            )
