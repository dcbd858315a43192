"""The moderation audit log: every moderation action appends one entry."""

from __future__ import annotations

from typing import Any

from accounts.models import Member
from forum.models import AuditEntry, Post, WorkingGroup


def record(
    *,
    actor: Member,
    group: WorkingGroup,
    action: str,
    post: Post | None = None,
    thread_id: int | None = None,
    member: Member | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry, inside the caller's transaction, with the actor's country then."""
    return AuditEntry.objects.create(
        group=group,
        actor=actor,
        actor_country=actor.country,
        action=action,
        post=post,
        thread_id=thread_id if thread_id is not None else (post.thread_id if post else None),
        member=member,
        reason=reason[:600],
        details=details or {},
    )
