"""/ws/inbox/: one member's own notifications, live, with the group channels' resume rule.

The frames carry ids, kinds and the unread count, never a post's text: the inbox page
(or a later API) shows the text after checking visibility again. Direct messages
(conversations/consumers.py) ride the same socket and stream, with their text: only
the conversation's members ever receive them.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from conversations.consumers import MessageFrames
from forum import events, visibility
from forum.actions.notifications import inbox_stream
from forum.consumers.groups import (
    CLOSE_NOT_SIGNED_IN,
    ClientError,
    GroupConsumer,
    member_for_session,
    session_key,
)
from forum.consumers.hub import hub


@database_sync_to_async
def _hello(member_id: int) -> tuple[int, int, int]:
    from django.contrib.auth import get_user_model

    from conversations import visibility as conversations
    from forum import inbox

    # The whole member: what they may still see depends on their country and groups.
    member = get_user_model().objects.get(pk=member_id)
    return (
        events.last_seq(inbox_stream(member_id)),
        inbox.unread_count(member),
        conversations.unread_count(member),
    )


@database_sync_to_async
def _still_active(member_id: int) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=member_id, is_active=True).exists()


class InboxConsumer(GroupConsumer):
    """Frames, resume and rate limits as on /ws/groups/; the stream is `member:<id>`."""

    async def connect(self) -> None:
        await self.accept()
        member = await member_for_session(session_key(self.scope))
        if member is None or not member.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.member_id, self.group_id = member.pk, None
        # Only this member's sockets follow the stream; the reader lets the hub agree.
        self.reader = visibility.Reader(
            member_id=member.pk, country=member.country.code, staff=False, moderator=False
        )
        self.profile = {"id": member.pk, "name": member.display_name, "handle": member.handle}
        hello_seq, unread, unread_conversations = await _hello(member.pk)
        # Direct messages (conversations/) travel on this socket too: their dm.* frames.
        self.messages = MessageFrames(self, member)
        hello = {
            "type": "hello",
            "seq": hello_seq,
            "unread": unread,
            "unread_conversations": unread_conversations,
        }
        await self._begin(inbox_stream(member.pk), hello)

    def frame_handlers(self) -> dict:
        return {**super().frame_handlers(), **self.messages.handlers()}

    async def control(self, message: dict) -> None:
        if message["action"] == "close" and message.get("group") is None:
            # A close for one group (removed from it) leaves the inbox open.
            await hub().leave(self.stream_key, self)
            self.joined = False
            await self.close(code=message.get("code", CLOSE_NOT_SIGNED_IN))
        elif message["action"] == "recheck":
            self.messages.forget_member()
            if not await _still_active(self.member_id):
                await self.control({"action": "close", "code": CLOSE_NOT_SIGNED_IN})

    async def _typing(self, frame: dict) -> None:
        raise ClientError("unknown_type", _("Unknown frame type."))
