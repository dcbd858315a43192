from __future__ import annotations

from django import template

from conversations import visibility

register = template.Library()


@register.simple_tag
def may_message(member, other) -> bool:
    """Whether to offer a "Message" button to `member` on `other`'s profile (the rule
    that a send asks; see `visibility.may_message`)."""
    return other.pk in visibility.may_message(member, [other.pk])
