"""Forms of direct messages: the same checks as the socket frames (the actions run them)."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from conversations.actions.messages import BODY_MAX
from forum import limits


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": BODY_MAX}),
        validators=[limits.check_characters],
    )
    # A retried submit (the network dropped after the server stored it) stores one message.
    client_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4().hex)


class NewConversationForm(MessageForm):
    to = forms.CharField(
        label=_("To"),
        max_length=500,
        help_text=_("Handles of 1 to 9 members, separated by spaces or commas."),
    )

    def handles(self) -> list[str]:
        raw = self.cleaned_data["to"].replace(",", " ").split()
        return list(dict.fromkeys(h.lstrip("@") for h in raw if h.lstrip("@")))


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_MAX}),
        validators=[limits.check_characters],
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this message?"),
        max_length=limits.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[limits.check_characters],
    )
