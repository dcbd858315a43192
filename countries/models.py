"""Reference data: the countries of ISO 3166-1, and which of them are partner countries.

Names come from django-countries, translated into the four UI languages; this table
adds what the partnership decides: which countries are partners (listed first in
every picker). A data migration marks the COMESA members and China; staff mark others.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries as iso_countries


class Country(models.Model):
    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    partner = models.BooleanField(
        _("partner country"),
        default=False,
        help_text=_("Partner countries come first in every country picker."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The country's name in the active language."""
        return str(iso_countries.name(self.code)) or self.code
