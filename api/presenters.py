"""Objects the visibility rule already let through, as the API's plain data."""

from __future__ import annotations

from django.utils import timezone

from forum.models import Audience, Meeting, Post, PostStatus, Review, Thread, WorkingGroup


def member(m) -> dict:
    return {"id": m.pk, "name": m.display_name, "handle": m.handle, "country": m.country.code}


def group(g: WorkingGroup, role: str | None) -> dict:
    return {
        "slug": g.slug,
        "name": g.name,
        "description": g.description,
        "role": role,
        "moderation_policy": g.moderation_policy,
        "url": g.get_absolute_url(),
    }


def thread(t: Thread) -> dict:
    """`t` needs its group and author loaded and its countries and tags prefetched."""
    countries = (
        [] if t.audience == Audience.GROUP else sorted(c.country.code for c in t.countries.all())
    )
    tags = sorted(tag.name for tag in t.tags.all())
    return {
        "id": t.pk,
        "group": t.group.slug,
        "title": t.title,
        "author": member(t.author),
        "audience": t.audience,
        "countries": countries,
        "tags": tags,
        "pinned": t.pinned,
        "locked": t.locked,
        "reply_count": t.reply_count,
        "created_at": t.created_at,
        "last_activity_at": t.last_activity_at,
        "url": t.get_absolute_url(),
    }


def post(p: Post, *, show_removed_text: bool) -> dict:
    """A removed post's text reaches only those who may see it (the group's moderators)."""
    hidden = p.status == PostStatus.REMOVED and not show_removed_text
    return {
        "id": p.pk,
        "thread": p.thread_id,
        "parent": p.parent_id,
        "number": p.number,
        "depth": p.depth,
        "status": p.status,
        "author": member(p.author),
        "body_source": "" if hidden else p.body_source,
        "body_html": "" if hidden else p.body_html,
        "created_at": p.created_at,
        "edited_at": p.edited_at,
        "replies": [],
    }


def nest(posts: list[dict]) -> list[dict]:
    """Nest posts (in tree order) under their parents on the same page."""
    by_id = {p["id"]: p for p in posts}
    roots = []
    for p in posts:
        parent = by_id.get(p["parent"])
        (parent["replies"] if parent is not None else roots).append(p)
    return roots


def meeting(m: Meeting, *, minutes_thread: int | None) -> dict:
    return {
        "id": m.pk,
        "group": m.group.slug,
        "title": m.title,
        "agenda_source": m.agenda,
        "agenda_html": m.agenda_html,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "time_zone": m.time_zone,
        "format": m.format,
        "place": m.place,
        "link": m.link,
        "audience": m.audience,
        "state": m.state_at(timezone.now()),
        "minutes_thread": minutes_thread,
        "url": m.get_absolute_url(),
    }


def chat_message(c) -> dict:
    removed = c.removed_at is not None
    return {
        "id": c.pk,
        "seq": c.seq,
        "author": member(c.author),
        "created_at": c.created_at,
        "removed": removed,
        "body_source": "" if removed else c.body,
        "body_html": "" if removed else c.html,
    }


def notification(item) -> dict:
    """`item` is a forum.inbox.InboxItem: its text already re-checked for the reader."""
    n = item.notification
    return {
        "id": n.pk,
        "kind": n.kind,
        "created_at": n.created_at,
        "read": n.read_at is not None,
        "available": item.available,
        "actor_name": item.actor_name,
        "thread_title": item.thread_title,
        "excerpt": item.excerpt,
        "url": item.url,
    }


def review(r: Review, thread_data: dict) -> dict:
    return {
        "id": r.pk,
        "kind": r.kind,
        "group": r.group.slug,
        "submitted_at": r.submitted_at,
        "approvals": len(r.approvals.all()),
        "approvals_required": r.group.approvals_required,
        "post": post(r.post, show_removed_text=True),
        "thread": thread_data,
        "proposed_title": r.title if r.kind == Review.Kind.EDIT else "",
        "proposed_body_source": r.body_source if r.kind == Review.Kind.EDIT else "",
        "proposed_body_html": r.body_html if r.kind == Review.Kind.EDIT else "",
    }


def search_hit(hit) -> dict:
    """A search.query.Hit, which the search already took from what the reader may see."""
    return {
        "kind": hit.kind,
        "url": hit.url,
        "title": hit.title,
        "group": hit.group.slug,
        "author": member(hit.author),
        "created_at": hit.created_at,
        "snippet_html": str(hit.snippet),
    }
