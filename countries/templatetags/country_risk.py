"""Showing levels, trends and changes: colour AND text, so they read without colour."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from countries.models import Level, Trend

register = template.Library()

TREND_ARROWS = {Trend.IMPROVING: "↘", Trend.STABLE: "→", Trend.DETERIORATING: "↗"}


@register.filter
def get(mapping, key):
    """Look `key` up in a dict (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def level_badge(level) -> str:
    """A coloured badge that names the level in words."""
    if not level:
        return format_html('<span class="level level-0">{}</span>', _("not assessed"))
    return format_html(
        '<span class="level level-{}" data-level="{}">{}</span>',
        int(level),
        int(level),
        Level(int(level)).label,
    )


@register.simple_tag
def trend_mark(trend) -> str:
    if not trend:
        return ""
    return format_html(
        '<span class="trend trend-{}" title="{}">{} {}</span>',
        trend,
        Trend(trend).label,
        TREND_ARROWS[Trend(trend)],
        Trend(trend).label,
    )


@register.simple_tag
def change_mark(change) -> str:
    """↑ raised / ↓ lowered / = unchanged against the previous assessment."""
    if change is None or change.direction == "new":
        return ""
    if change.direction == "same":
        return format_html('<span class="change change-same">= {}</span>', _("unchanged"))
    arrow = "↑" if change.direction == "up" else "↓"
    words = _("raised from %(level)s") if change.direction == "up" else _("lowered from %(level)s")
    return format_html(
        '<span class="change change-{}">{} {}</span>',
        change.direction,
        arrow,
        words % {"level": Level(change.before).label},
    )


@register.simple_tag
def assessments_waiting(viewer) -> int:
    """How many assessments wait for `viewer`'s review (0 for those who review none): the
    forum's review queue links to them. Asks countries.visibility, decides nothing itself."""
    from countries import visibility

    return visibility.assessment_queue(viewer).count()
