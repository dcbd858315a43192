"""/ws/meetings/<id>/: a meeting's chat room. Thin: check, validate, call actions.

The room is a stream like a group's (`meeting:<id>`): hello, presence, resume and
fan-out work as on /ws/groups/, and `chat.send` adds a message through the action.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from forum import events, limits, visibility
from forum.actions import meetings as actions
from forum.consumers.groups import (
    CLOSE_NOT_ALLOWED,
    CLOSE_NOT_FOUND,
    CLOSE_NOT_SIGNED_IN,
    ClientError,
    GroupConsumer,
    _last_seq,
    member_for_session,
    session_key,
)
from forum.models import Meeting


class ChatError(ClientError):
    """A refused chat.send: the error frame names its client_id."""

    def __init__(self, code: str, message: str, client_id: str) -> None:
        super().__init__(code, message)
        self.client_id = client_id


def _find(member, meeting_id: int, *, refused: int = CLOSE_NOT_FOUND):
    """Return (meeting, reader) or a close code.

    A meeting the member may not see is refused like a missing one (4404), so a socket
    never tells which ids exist; one that stops being visible while connected closes
    with `refused` (4403: the member knew it).
    """
    meeting = Meeting.objects.select_related("group").filter(pk=meeting_id).first()
    if meeting is None:
        return CLOSE_NOT_FOUND
    if not visibility.can_view_meeting(member, meeting):
        return refused
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
    found = _find(member, meeting_id, refused=CLOSE_NOT_ALLOWED)
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
        member = await member_for_session(session_key(self.scope))
        if member is None:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        opened = await _open(member, self.scope["url_route"]["kwargs"]["pk"])
        if isinstance(opened, int):
            await self.close(code=opened)
            return
        self.meeting, self.reader = opened
        self.member, self.member_id, self.group_id = member, member.pk, self.meeting.group_id
        self.profile = {
            "id": member.pk,
            "name": member.display_name,
            "handle": member.handle,
            "country": member.country.code,
        }
        stream_key = events.meeting_stream(self.meeting.pk)
        hello = {
            "type": "hello",
            "seq": await _last_seq(stream_key),
            "data": await database_sync_to_async(events.meeting_state_payload)(self.meeting),
        }
        await self._begin(stream_key, hello)

    async def _recheck(self) -> visibility.Reader | int:
        opened = await _reopen(self.member_id, self.meeting.pk)
        if isinstance(opened, int):
            return opened
        self.member, reader = opened
        return reader

    def frame_handlers(self) -> dict:
        return {"resume": self._resume, "ping": self._ping, "chat.send": self._chat_send}

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
