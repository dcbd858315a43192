from django import template
from django_countries.fields import Country

register = template.Library()


@register.simple_tag
def country_label(code: str) -> str:
    """Return a country's flag and its name in the active language."""
    country = Country(code=code)
    return f"{country.unicode_flag} {country.name}"
