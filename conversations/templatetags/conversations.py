from __future__ import annotations

from django import template

from conversations import visibility

register = template.Library()


@register.simple_tag
def unread_conversations(member) -> int:
    """The header's count of conversations with unread messages."""
    if not getattr(member, "is_authenticated", False):
        return 0
    return visibility.unread_count(member)


@register.simple_tag
def may_message(member, other) -> bool:
    """Whether to offer a "Message" button to `member` on `other`'s profile."""
    if not getattr(member, "is_authenticated", False):
        return False
    return visibility.messageable_members(member).filter(pk=other.pk).exists()
