"""Template tags of the docking platform: the listing reviews in the moderators' queue."""

from __future__ import annotations

from django import template

from projects import visibility

register = template.Library()


@register.simple_tag(takes_context=True)
def listing_reviews(context, group=None) -> list:
    """The listing reviews the page's member may decide (in `group`, if given)."""
    request = context.get("request")
    if request is None:
        return []
    return list(visibility.listing_review_queue(request.user, group or None)[:200])
