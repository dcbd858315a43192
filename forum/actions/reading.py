"""Read marks: how far a member has read a thread, for the group page's unread markers.

The thread page writes nothing when it is shown; the reader's browser says which
posts it has shown ("seen"), and the mark moves only forward.
"""

from __future__ import annotations

from datetime import timedelta

from accounts.models import Member
from forum import visibility
from forum.models import Thread, ThreadRead


def mark_seen(*, member: Member, thread: Thread, number: int) -> bool:
    """Record that `member` has seen `thread` up to post `number`; return whether the
    mark advanced. Writes only when it does.

    `thread` must be one the member may see. Having seen the last post the member may
    see, the thread counts as read up to its last activity (what the group page
    compares with); otherwise up to the post seen.
    """
    moderator = visibility.can_moderate(member, thread.group)
    near = list(
        visibility.visible_posts(member, thread, moderator=moderator)
        .filter(number__gte=number)
        .order_by("number")
        .values_list("number", "created_at")[:2]
    )
    if not near or (len(near) == 1 and near[0][0] == number):
        read_at = thread.last_activity_at
    elif near[0][0] == number:
        read_at = near[0][1]
    else:
        # `number` is not a post this member sees: read up to just before the next one.
        read_at = near[0][1] - timedelta(microseconds=1)
    stored = (
        ThreadRead.objects.filter(member=member, thread=thread)
        .values_list("read_at", flat=True)
        .first()
    )
    if stored is not None and stored >= read_at:
        return False
    if stored is None:
        ThreadRead.objects.bulk_create(
            [ThreadRead(member=member, thread=thread, read_at=read_at)], ignore_conflicts=True
        )
    # Only forward, even when two signals race.
    ThreadRead.objects.filter(member=member, thread=thread, read_at__lt=read_at).update(
        read_at=read_at
    )
    return True
