from forum.models.events import Event, EventStream
from forum.models.groups import Membership, Role, WorkingGroup
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
    "Event",
    "EventStream",
    "Membership",
    "Mention",
    "Post",
    "PostRevision",
    "PostStatus",
    "Role",
    "Tag",
    "Thread",
    "ThreadRead",
    "WorkingGroup",
]
