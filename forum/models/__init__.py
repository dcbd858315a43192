from forum.models.events import Event, EventStream
from forum.models.groups import Membership, Role, WorkingGroup
from forum.models.notifications import Digest, Notification, Watch
from forum.models.threads import (
    Audience,
    AudienceCountry,
    Mention,
    Post,
    PostRevision,
    PostStatus,
    Tag,
    Thread,
    ThreadRead,
)

__all__ = [
    "Audience",
    "AudienceCountry",
    "Digest",
    "Event",
    "EventStream",
    "Membership",
    "Mention",
    "Notification",
    "Post",
    "PostRevision",
    "PostStatus",
    "Role",
    "Tag",
    "Thread",
    "ThreadRead",
    "Watch",
    "WorkingGroup",
]
