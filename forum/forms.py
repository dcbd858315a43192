"""Forms for threads and posts. They check shape; actions check rights and limits."""

from __future__ import annotations

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from countries.reference import country_choices
from forum import limits
from forum.ids import ModelIdChoiceField, ModelIdsChoiceField
from forum.models import Audience, ModerationPolicy, RejectReason, ReportReason, Tag


class TextField(forms.CharField):
    """Text a member types: refused where `limits.check_characters` refuses it, as the
    actions and the sockets refuse it (NUL included, so Django's own NUL check goes)."""

    default_validators = [limits.check_characters]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, validators.ProhibitNullCharactersValidator)
        ]


class BodyArea(forms.Textarea):
    """A text box whose limit is announced (`data-max`, compose.js counts) rather than
    enforced by the browser: `maxlength` cuts a long paste silently."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shown = context["widget"]["attrs"]
        if "maxlength" in shown:
            shown["data-max"] = shown.pop("maxlength")
        return context


class AudienceForm(forms.Form):
    """Who a thread or a meeting is for: the whole group, the author's country, or
    selected countries (the author's own is always added by the action)."""

    audience_label = _("Who can read this thread?")

    audience = forms.ChoiceField(
        choices=Audience.choices, initial=Audience.GROUP, widget=forms.RadioSelect
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries (for “selected countries”)"),
        choices=country_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6, "class": "country-picker"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["audience"].label = self.audience_label

    def clean(self):
        data = super().clean()
        if data.get("audience") == Audience.COUNTRIES and not data.get("countries"):
            self.add_error("countries", _("Choose at least one country."))
        return data


class ThreadForm(AudienceForm):
    field_order = ["title", "body", "audience", "countries", "topics", "country_tags"]
    title = TextField(label=_("Title"), min_length=limits.TITLE_MIN, max_length=limits.TITLE_MAX)
    body = TextField(
        label=_("Message"),
        max_length=limits.BODY_MAX,
        widget=BodyArea(attrs={"rows": 10}),
        help_text=_(
            "Markdown: **bold**, *italic*, > quote, - lists, tables, links. "
            "Mention a member with @handle."
        ),
    )
    topics = ModelIdsChoiceField(
        label=_("Topics"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country_tags = forms.MultipleChoiceField(
        label=_("Country tags"),
        choices=country_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6, "class": "country-picker"}),
        help_text=_("Which countries the thread is about."),
    )

    def __init__(self, *args, group, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Tag.objects.filter(group=group, kind=Tag.Kind.TOPIC)
        if not self.fields["topics"].queryset.exists():
            del self.fields["topics"]

    def clean(self):
        data = super().clean()
        tags = len(data.get("topics") or []) + len(data.get("country_tags") or [])
        if tags > limits.TAGS_MAX:
            raise forms.ValidationError(
                _("At most %(max)d tags per thread.") % {"max": limits.TAGS_MAX}
            )
        return data


class ReplyForm(forms.Form):
    body = TextField(
        label=_("Your reply"),
        max_length=limits.BODY_MAX,
        widget=BodyArea(attrs={"rows": 6}),
    )


class EditPostForm(forms.Form):
    title = TextField(label=_("Title"), min_length=limits.TITLE_MIN, max_length=limits.TITLE_MAX)
    body = TextField(
        label=_("Message"), max_length=limits.BODY_MAX, widget=BodyArea(attrs={"rows": 10})
    )

    def __init__(self, *args, with_title: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_title:
            del self.fields["title"]


class RemovePostForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=limits.REASON_MAX)


class TagsForm(forms.Form):
    topics = TextField(label=_("Topic tags (comma-separated)"), required=False, max_length=800)
    country_tags = forms.MultipleChoiceField(
        label=_("Country tags"), choices=country_choices, required=False
    )


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectReason.choices)
    note = TextField(
        label=_("Note to the author"),
        max_length=limits.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this post?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
    )
    note = TextField(
        label=_("Anything the moderators should know (optional)"),
        max_length=limits.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveReportForm(forms.Form):
    note = TextField(label=_("Note"), max_length=limits.REASON_MAX, required=False)


MUTE_DURATIONS = [
    (1, _("1 hour")),
    (24, _("1 day")),
    (24 * 7, _("1 week")),
    (24 * 30, _("30 days")),
]


class MuteForm(forms.Form):
    member = ModelIdChoiceField(label=_("Member"), queryset=None)
    hours = forms.TypedChoiceField(label=_("For"), choices=MUTE_DURATIONS, coerce=int, initial=24)
    reason = TextField(label=_("Reason (shown to the member)"), max_length=limits.REASON_MAX)

    def __init__(self, *args, members, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class PolicyForm(forms.Form):
    moderation_policy = forms.ChoiceField(
        label=_("Pre-moderation"), choices=ModerationPolicy.choices, widget=forms.RadioSelect
    )
    approvals_required = forms.TypedChoiceField(
        label=_("Approvals a post needs"),
        choices=[(1, _("one moderator")), (2, _("two moderators from different countries"))],
        coerce=int,
    )
    member_review_until = forms.IntegerField(
        label=_("Members need review until they have this many published posts"),
        min_value=0,
        max_value=10_000,
        required=False,
        help_text=_("Leave empty: always."),
    )
    trusted_review_until = forms.IntegerField(
        label=_("Trusted members need review until they have this many published posts"),
        min_value=0,
        max_value=10_000,
        required=False,
        help_text=_("0: never. Leave empty: always."),
    )


# --- meetings ------------------------------------------------------------------------


def _zone_choices() -> list[tuple[str, str]]:
    import zoneinfo

    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


class MeetingForm(AudienceForm):
    """Times are typed in `time_zone` (the organizer's, by default) and stored in UTC."""

    audience_label = _("Who is invited?")
    field_order = [
        "title",
        "agenda",
        "starts_at",
        "ends_at",
        "time_zone",
        "format",
        "place",
        "link",
        "audience",
        "countries",
        "chairs",
    ]

    title = TextField(label=_("Title"), min_length=limits.TITLE_MIN, max_length=limits.TITLE_MAX)
    agenda = TextField(
        label=_("Agenda"),
        required=False,
        max_length=limits.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, *italic*, - lists, links."),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Time zone of these times"), choices=())
    format = forms.ChoiceField(label=_("Format"), choices=(), widget=forms.RadioSelect)
    place = TextField(label=_("Place"), required=False, max_length=200)
    link = forms.URLField(label=_("Link for joining online"), required=False, max_length=500)
    chairs = ModelIdsChoiceField(
        label=_("Chairs besides you"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6, "class": "country-picker"}),
        help_text=_("They may start and end the meeting and moderate its chat."),
    )

    def __init__(self, *args, group, **kwargs) -> None:
        from django.contrib.auth import get_user_model

        from forum.models import MeetingFormat

        super().__init__(*args, **kwargs)
        self.fields["chairs"].queryset = (
            get_user_model()
            .objects.filter(memberships__group=group, is_active=True)
            .order_by("display_name")
        )
        self.fields["time_zone"].choices = _zone_choices()
        self.fields["format"].choices = MeetingFormat.choices
        self.fields["format"].initial = MeetingFormat.ONLINE

    def clean(self):
        import zoneinfo

        from django.utils import timezone

        data = super().clean()
        zone = data.get("time_zone")
        for name in ("starts_at", "ends_at"):
            if data.get(name) and zone:
                # The field read the text in the reader's zone; read it in the chosen one.
                naive = timezone.make_naive(data[name])
                data[name] = naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return data


class ChatForm(forms.Form):
    """The chat without JavaScript: `client_id` makes a double submit count once."""

    client_id = TextField(max_length=limits.CHAT_CLIENT_ID_MAX, widget=forms.HiddenInput)
    body = TextField(
        label=_("Message"),
        max_length=limits.CHAT_BODY_MAX,
        widget=BodyArea(attrs={"rows": 2}),
    )


class MinutesForm(forms.Form):
    minutes = TextField(
        label=_("Minutes"),
        required=False,
        max_length=limits.MINUTES_MAX,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown. Publishing starts a thread in the group with this text."),
    )
