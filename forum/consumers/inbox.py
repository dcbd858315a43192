"""/ws/inbox/: one member's own notifications, live, with the group channels' resume rule.

The frames carry ids, kinds and the unread count, never a post's text: the inbox page
(or a later API) shows the text after checking visibility again.
"""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from forum import events, visibility
from forum.actions.notifications import inbox_stream
from forum.consumers.groups import CLOSE_NOT_SIGNED_IN, RATE_BURST, ClientError, GroupConsumer
from forum.consumers.hub import hub


@database_sync_to_async
def _hello(member_id: int) -> tuple[int, int]:
    from accounts.models import Member
    from forum import inbox

    member = Member(pk=member_id)
    return events.last_seq(inbox_stream(member_id)), inbox.unread_count(member)


@database_sync_to_async
def _still_active(member_id: int) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=member_id, is_active=True).exists()


class InboxConsumer(GroupConsumer):
    """Frames, resume and rate limits as on /ws/groups/; the stream is `member:<id>`."""

    async def connect(self) -> None:
        await self.accept()
        member = self.scope.get("user")
        if member is None or not member.is_authenticated or not member.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.member = member
        # Only this member's sockets follow the stream; the reader lets the hub agree.
        self.reader = visibility.Reader(
            member_id=member.pk, country=member.country.code, staff=False, moderator=False
        )
        self.profile = {"id": member.pk, "name": member.display_name, "handle": member.handle}
        self.group = None
        self.stream_key = inbox_stream(member.pk)
        self.last_seq = 0
        self.resuming = True
        self.held: list[tuple[int, str]] = []
        self.typing_at, self.typing_audiences = 0.0, {}
        self.tokens, self.refilled = float(RATE_BURST), time.monotonic()
        hello_seq, unread = await _hello(member.pk)
        await self.send_json({"type": "hello", "seq": hello_seq, "unread": unread})
        await hub().join(self.stream_key, self)
        self.joined = True
        self.first_resume = asyncio.get_running_loop().create_task(self._resume_later(hello_seq))

    async def push(self, frame: str) -> None:
        # Presence is about group pages; an inbox has no one else in it.
        if frame.startswith('{"type":"presence"'):
            return
        await self.send(text_data=frame)

    async def control(self, message: dict) -> None:
        if message["action"] == "close" and message.get("group") is None:
            # A close for one group (removed from it) leaves the inbox open.
            await hub().leave(self.stream_key, self)
            self.joined = False
            await self.close(code=message.get("code", CLOSE_NOT_SIGNED_IN))
        elif message["action"] == "recheck" and not await _still_active(self.member.pk):
            await self.control({"action": "close", "code": CLOSE_NOT_SIGNED_IN})

    async def _typing(self, frame: dict) -> None:
        raise ClientError("unknown_type", _("Unknown frame type."))
