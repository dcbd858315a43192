"""The assessment form: one level, trend and reasoning per dimension (built from the data),
sources, regional exceptions, the OECD reference and what a correction corrects."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from countries.actions.assessments import (
    REASONING_MAX,
    ExceptionInput,
    LevelInput,
    SourceInput,
)
from countries.models import Assessment, Dimension, Level, Trend
from forum.ids import ModelIdChoiceField

SOURCE_ROWS = 3
EXCEPTION_ROWS = 2


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Date of the assessment"), widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    oecd_category = forms.IntegerField(
        label=_("OECD country risk category (0–7)"), min_value=0, max_value=7, required=False
    )
    oecd_date = forms.DateField(
        label=_("Date of the OECD category"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    corrects = ModelIdChoiceField(
        label=_("Corrects"), queryset=Assessment.objects.none(), required=False
    )
    correction_note = forms.CharField(label=_("What this corrects"), max_length=500, required=False)

    def __init__(self, *args, dimensions: list[Dimension], corrigible, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dimensions = dimensions
        self.fields["corrects"].queryset = corrigible
        for d in dimensions:
            self.fields[f"level_{d.code}"] = forms.TypedChoiceField(
                label=gettext(d.name), choices=Level.choices, coerce=int
            )
            self.fields[f"trend_{d.code}"] = forms.ChoiceField(
                label=_("Trend"), choices=Trend.choices, initial=Trend.STABLE
            )
            self.fields[f"reasoning_{d.code}"] = forms.CharField(
                label=_("Reasoning (Markdown)"),
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=REASONING_MAX,
            )
        for i in range(SOURCE_ROWS):
            required = i == 0
            self.fields[f"source_title_{i}"] = forms.CharField(
                label=_("Source title"), max_length=300, required=required
            )
            self.fields[f"source_publisher_{i}"] = forms.CharField(
                label=_("Publisher"), max_length=200, required=required
            )
            self.fields[f"source_date_{i}"] = forms.DateField(
                label=_("Date"), required=required, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"source_url_{i}"] = forms.URLField(
                label=_("URL"), max_length=500, required=required, assume_scheme="https"
            )
        for i in range(EXCEPTION_ROWS):
            self.fields[f"exception_area_{i}"] = forms.CharField(
                label=_("Area"), max_length=200, required=False
            )
            self.fields[f"exception_dimension_{i}"] = forms.ChoiceField(
                label=_("Dimension"),
                choices=[("", "—")] + [(d.code, gettext(d.name)) for d in dimensions],
                required=False,
            )
            self.fields[f"exception_level_{i}"] = forms.TypedChoiceField(
                label=_("Level"), choices=[("", "—"), *Level.choices], coerce=int, required=False
            )
            self.fields[f"exception_reason_{i}"] = forms.CharField(
                label=_("Reason"),
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def dimension_rows(self):
        return [
            (d, self[f"level_{d.code}"], self[f"trend_{d.code}"], self[f"reasoning_{d.code}"])
            for d in self.dimensions
        ]

    def source_rows(self):
        return [
            [self[f"source_{part}_{i}"] for part in ("title", "publisher", "date", "url")]
            for i in range(SOURCE_ROWS)
        ]

    def exception_rows(self):
        return [
            [self[f"exception_{part}_{i}"] for part in ("area", "dimension", "level", "reason")]
            for i in range(EXCEPTION_ROWS)
        ]

    def action_arguments(self) -> dict:
        """Return the cleaned data as the arguments of `submit_assessment`."""
        data = self.cleaned_data
        sources = [
            SourceInput(
                title=data[f"source_title_{i}"],
                publisher=data[f"source_publisher_{i}"],
                published_on=data[f"source_date_{i}"],
                url=data[f"source_url_{i}"],
            )
            for i in range(SOURCE_ROWS)
            if data.get(f"source_title_{i}")
        ]
        exceptions = [
            ExceptionInput(
                area=data[f"exception_area_{i}"],
                level=data.get(f"exception_level_{i}") or 0,
                reason=data.get(f"exception_reason_{i}", ""),
                dimension=data.get(f"exception_dimension_{i}", ""),
            )
            for i in range(EXCEPTION_ROWS)
            if data.get(f"exception_area_{i}")
        ]
        return {
            "assessed_on": data["assessed_on"],
            "summary": data["summary"],
            "oecd_category": data["oecd_category"],
            "oecd_date": data["oecd_date"],
            "corrects": data["corrects"],
            "correction_note": data["correction_note"],
            "levels": [
                LevelInput(
                    dimension=d.code,
                    level=data[f"level_{d.code}"],
                    trend=data[f"trend_{d.code}"],
                    reasoning=data[f"reasoning_{d.code}"],
                )
                for d in self.dimensions
            ],
            "sources": sources,
            "exceptions": exceptions,
        }

    def clean(self):
        data = super().clean()
        for i in range(1, SOURCE_ROWS):
            parts = [data.get(f"source_{p}_{i}") for p in ("title", "publisher", "date", "url")]
            if any(parts) and not all(parts):
                self.add_error(None, gettext("Fill in every field of a source, or none."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Send back"))])
    note = forms.CharField(label=_("Reason (when sending back)"), max_length=500, required=False)
