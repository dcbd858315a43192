"""Forms for invitations, sign-up and the member's own profile."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries.fields import LazyTypedChoiceField

from accounts.models import WEEKDAYS, Member
from countries.reference import country_choices
from forum.forms import TextField
from forum.ids import ModelIdsChoiceField
from forum.models import Role, WorkingGroup


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class InvitedSignupForm(forms.Form):
    """Fields allauth's sign-up form gains; the invitation supplies the rest."""

    display_name = TextField(
        label=_("Your name as others will see it"), max_length=100, min_length=2
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="UTC")

    def signup(self, request, user: Member) -> None:
        from accounts import actions

        actions.update_profile(member=user, time_zone=self.cleaned_data["time_zone"])


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    organization = TextField(
        label=_("Organization"),
        max_length=200,
        help_text=_("An existing organization's exact name, or a new one."),
    )
    country = LazyTypedChoiceField(
        label=_("Country"),
        choices=country_choices,
        widget=forms.Select(attrs={"class": "country-picker"}),
    )
    groups = ModelIdsChoiceField(
        label=_("Working groups"),
        queryset=WorkingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    language = forms.ChoiceField(
        label=_("Language of the invitation email"), choices=settings.LANGUAGES
    )

    def __init__(self, *args, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = Member
        fields = ["display_name", "handle", "language", "time_zone"]
        field_classes = {"display_name": TextField}

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].lower()
        taken = Member.objects.filter(handle=handle).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError(_("That handle is taken."))
        return handle


class NotificationSettingsForm(forms.ModelForm):
    """The digest (how often, which day and hour, which groups) and immediate emails."""

    digest_hour = forms.TypedChoiceField(
        label=_("Hour of the digest"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=_("In your own time zone."),
    )
    digest_weekday = forms.TypedChoiceField(
        label=_("Day for the weekly digest"), coerce=int, choices=WEEKDAYS
    )
    groups = forms.MultipleChoiceField(
        label=_("Working groups in the digest"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Member
        fields = [
            "digest_frequency",
            "digest_weekday",
            "digest_hour",
            "language",
            "email_mentions",
            "email_replies",
        ]

    def __init__(self, *args, groups=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.group_ids = {group.pk for group in groups}
        self.fields["groups"].choices = [(str(g.pk), _(g.name)) for g in groups]
        skipped = set(self.instance.digest_skip_groups or [])
        self.fields["groups"].initial = [str(pk) for pk in self.group_ids - skipped]

    def skipped_groups(self) -> list[int]:
        """Return the ids of the member's groups left out of the digest."""
        included = {int(pk) for pk in self.cleaned_data["groups"]}
        return sorted(self.group_ids - included)
