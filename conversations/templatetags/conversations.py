from __future__ import annotations

from django import template

from conversations import visibility

register = template.Library()


@register.simple_tag
def may_message(member, other) -> bool:
    """Whether to offer a "Message" button to `member` on `other`'s profile."""
    if not getattr(member, "is_authenticated", False):
        return False
    return visibility.messageable_members(member).filter(pk=other.pk).exists()
