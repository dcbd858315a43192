"""Forms of the docking platform. They check shape; the actions check rights and limits."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from countries.reference import country_choices
from forum import limits
from forum.forms import AudienceForm, TextField
from forum.ids import ModelIdChoiceField
from projects.actions.dockings import MESSAGE_MAX
from projects.models import (
    AgreementKind,
    IcocaStatus,
    ListingKind,
    ListingOutcome,
    Offer,
    Sector,
    SizeBand,
    Stage,
)


class SectorChoiceField(ModelIdChoiceField):
    def label_from_instance(self, obj: Sector) -> str:
        from django.utils.translation import gettext

        return gettext(obj.name)


class ListingForm(AudienceForm):
    audience_label = _("Who can see this listing?")
    field_order = [
        "kind",
        "title",
        "summary",
        "sector",
        "host_country",
        "size",
        "stage",
        "seeks",
        "contact_name",
        "contact_email",
        "contact_phone",
        "audience",
        "countries",
    ]
    kind = forms.ChoiceField(label=_("Kind"), choices=ListingKind.choices)
    title = TextField(label=_("Title"), min_length=limits.TITLE_MIN, max_length=limits.TITLE_MAX)
    summary = TextField(
        label=_("Summary"),
        max_length=limits.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italic*, lists and links."),
    )
    sector = SectorChoiceField(label=_("Sector"), queryset=Sector.objects.all())
    host_country = forms.ChoiceField(label=_("Host country"))
    size = forms.ChoiceField(label=_("Size"), choices=SizeBand.choices)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    seeks = forms.MultipleChoiceField(
        label=_("Seeks"),
        choices=Offer.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_name = TextField(label=_("Contact people"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"), max_length=200)
    contact_phone = TextField(label=_("Contact phone"), max_length=40, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = country_choices()
        self.fields["host_country"].choices = [("", "—"), *choices]
        self.fields["countries"].choices = choices
        if editing:
            # The audience is fixed once written, as a thread's is.
            del self.fields["audience"]
            del self.fields["countries"]

    def clean(self):
        if "audience" not in self.fields:
            return forms.Form.clean(self)
        return super().clean()


class ListingFilterForm(forms.Form):
    """The list's filters: every field of a listing, and the order."""

    q = forms.CharField(label=_("Words in the title"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    country = forms.ChoiceField(label=_("Host country"), required=False)
    size = forms.ChoiceField(label=_("Size"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    seeks = forms.ChoiceField(label=_("Seeks"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    mine = forms.BooleanField(label=_("My organization's"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("newest")), ("suggested", _("suggested for me"))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django.utils.translation import gettext

        from projects.models import ListingState

        anything = [("", _("any"))]
        self.fields["kind"].choices = anything + list(ListingKind.choices)
        self.fields["sector"].choices = anything + [
            (str(s.pk), gettext(s.name)) for s in Sector.objects.all()
        ]
        self.fields["country"].choices = anything + country_choices()
        self.fields["size"].choices = anything + list(SizeBand.choices)
        self.fields["stage"].choices = anything + list(Stage.choices)
        self.fields["seeks"].choices = anything + list(Offer.choices)
        self.fields["state"].choices = [("", _("open (published)"))] + [
            (s.value, s.label) for s in ListingState if s.value != "published"
        ]


class InterestForm(forms.Form):
    message = TextField(
        label=_("Why is your organization interested?"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MESSAGE_MAX}),
        help_text=_(
            "At most 4,000 characters. Only the listing's organization and the "
            "facilitators read it."
        ),
    )


class ProposeForm(forms.Form):
    organization = ModelIdChoiceField(label=_("Organization to introduce"), queryset=None)
    note = TextField(
        label=_("Note to both"),
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organizations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class NoteForm(forms.Form):
    note = TextField(
        label=_("Note (optional)"),
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SlotsForm(NoteForm):
    """Up to three times, typed in the member's own zone (stored in UTC)."""

    duration = forms.TypedChoiceField(
        label=_("Length"),
        coerce=int,
        choices=[
            (30, _("30 minutes")),
            (60, _("1 hour")),
            (90, _("90 minutes")),
            (120, _("2 hours")),
        ],
        initial=60,
    )
    slot1 = forms.DateTimeField(
        label=_("Time 1"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    slot2 = forms.DateTimeField(
        label=_("Time 2"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    slot3 = forms.DateTimeField(
        label=_("Time 3"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    field_order = ["slot1", "slot2", "slot3", "duration", "note"]

    def slots(self):
        from datetime import timedelta

        length = timedelta(minutes=self.cleaned_data["duration"])
        found = []
        for name in ("slot1", "slot2", "slot3"):
            starts = self.cleaned_data.get(name)
            if starts is not None:
                if timezone.is_naive(starts):
                    starts = timezone.make_aware(starts)
                found.append((starts, starts + length))
        return found


class SignForm(NoteForm):
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Agreement"), choices=AgreementKind.choices)
    value = forms.DecimalField(
        label=_("Value in USD (optional)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    announceable = forms.BooleanField(label=_("This agreement may be announced"), required=False)
    field_order = ["signed_on", "kind", "value", "announceable", "note"]


class CloseListingForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ListingOutcome.choices)


class OrganizationProfileForm(forms.Form):
    """What an organization's members may say about it (ICoCA verification is staff's)."""

    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries of operation"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    offers = forms.MultipleChoiceField(
        label=_("What we offer"),
        choices=Offer.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    icoca_status = forms.ChoiceField(label=_("ICoCA status"), choices=IcocaStatus.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["countries"].choices = country_choices()


def zone_name(member) -> str:
    try:
        return str(zoneinfo.ZoneInfo(member.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
