"""/ws/meetings/<id>/: a meeting's chat room. Thin: check, validate, call actions.

The room is a stream like a group's (`meeting:<id>`): hello, presence, resume and
fan-out work as on /ws/groups/, and `chat.send` adds a message through the action.
"""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from forum import events, limits, visibility
from forum.actions import meetings as actions
from forum.consumers.groups import (
    CLOSE_NOT_ALLOWED,
    CLOSE_NOT_FOUND,
    CLOSE_NOT_SIGNED_IN,
    RATE_BURST,
    ClientError,
    GroupConsumer,
    _last_seq,
)
from forum.consumers.hub import hub
from forum.models import Meeting


class ChatError(ClientError):
    """A refused chat.send: the error frame names its client_id."""

    def __init__(self, code: str, message: str, client_id: str) -> None:
        super().__init__(code, message)
        self.client_id = client_id


def _find(member, meeting_id: int):
    """Return (meeting, reader) or a close code."""
    meeting = Meeting.objects.select_related("group").filter(pk=meeting_id).first()
    if meeting is None:
        return CLOSE_NOT_FOUND
    if not visibility.can_view_meeting(member, meeting):
        return CLOSE_NOT_ALLOWED  # outside the group or the audience, as for groups
    meeting = actions.start_if_due(meeting)
    return meeting, visibility.meeting_reader(member, meeting)


@database_sync_to_async
def _open(member, meeting_id: int):
    return _find(member, meeting_id)


@database_sync_to_async
def _reopen(member_id: int, meeting_id: int):
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return CLOSE_NOT_SIGNED_IN
    found = _find(member, meeting_id)
    return found if isinstance(found, int) else (member, found[1])


@database_sync_to_async
def _send(member, meeting_id: int, client_id, body):
    meeting = Meeting.objects.select_related("group").get(pk=meeting_id)
    message, _created = actions.send_chat(
        author=member, meeting=meeting, client_id=client_id, body=body
    )
    return message.seq


class MeetingConsumer(GroupConsumer):
    """A meeting's room: the group socket's resume and fan-out, plus chat."""

    async def connect(self) -> None:
        await self.accept()  # accept first, so refusals can carry a close code
        member = self.scope.get("user")
        if member is None or not member.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        opened = await _open(member, self.scope["url_route"]["kwargs"]["pk"])
        if isinstance(opened, int):
            await self.close(code=opened)
            return
        self.meeting, self.reader = opened
        self.group = self.meeting.group
        await self._start(member, events.meeting_stream(self.meeting.pk))

    async def _start(self, member, stream_key: str) -> None:
        self.member = member
        self.profile = {
            "id": member.pk,
            "name": member.display_name,
            "handle": member.handle,
            "country": member.country.code,
        }
        self.typing_at = 0.0
        self.typing_audiences = {}
        self.stream_key = stream_key
        self.last_seq = 0
        self.resuming = True
        self.held = []
        self.tokens, self.refilled = float(RATE_BURST), time.monotonic()
        hello_seq = await _last_seq(self.stream_key)
        await self.send_json(
            {
                "type": "hello",
                "seq": hello_seq,
                "data": await database_sync_to_async(events.meeting_state_payload)(self.meeting),
            }
        )
        await hub().join(self.stream_key, self)
        self.joined = True
        self.first_resume = asyncio.get_running_loop().create_task(self._resume_later(hello_seq))

    async def control(self, message: dict) -> None:
        if message["action"] == "close" and message.get("group") in (None, self.group.pk):
            await hub().leave(self.stream_key, self)
            self.joined = False
            await self.close(code=message.get("code", CLOSE_NOT_ALLOWED))
        elif message["action"] == "reader" and message.get("group") == self.group.pk:
            self.reader = visibility.Reader(**message["reader"])
        elif message["action"] == "recheck":
            opened = await _reopen(self.member.pk, self.meeting.pk)
            if isinstance(opened, int):
                await self.control({"action": "close", "code": opened})
            else:
                self.member, self.reader = opened

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            frame = self._parse(text_data, bytes_data)
            handler = {
                "resume": self._resume,
                "ping": self._ping,
                "chat.send": self._chat_send,
            }.get(frame["type"])
            if handler is None:
                raise ClientError("unknown_type", _("Unknown frame type."))
            await handler(frame)
        except ClientError as error:
            reply = {"type": "error", "code": error.code, "message": error.message}
            if isinstance(error, ChatError):
                reply["client_id"] = error.client_id
            await self.send_json(reply)

    async def _chat_send(self, frame: dict) -> None:
        client_id, body = frame.get("client_id"), frame.get("body")
        if not isinstance(client_id, str) or not isinstance(body, str):
            raise ClientError("bad_frame", _("chat.send needs a string 'client_id' and 'body'."))
        if len(client_id) > limits.CHAT_CLIENT_ID_MAX:
            raise ClientError("bad_frame", _("client_id is at most 64 characters."))
        try:
            seq = await _send(self.member, self.meeting.pk, client_id, body)
        except PermissionDenied as error:
            raise ChatError("forbidden", str(error), client_id) from None
        except ValidationError as error:
            code = error.code or "invalid"
            raise ChatError(code, " ".join(error.messages), client_id) from None
        await self.send_json({"type": "chat.ack", "client_id": client_id, "seq": seq})
