"""Direct-message frames on /ws/inbox/. Thin: validate the frame, call an action.

The inbox consumer (forum/consumers/inbox.py) takes these handlers beside its own;
messages reach sockets as events of the member's inbox stream (see live.py), so
hello, resume and replay are the inbox's.
"""

from __future__ import annotations

import logging
import time

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from conversations import live
from conversations import visibility as rules
from forum import events
from forum.actions.notifications import inbox_stream
from forum.consumers.groups import TYPING_INTERVAL, ClientError
from forum.ids import ID_MAX

logger = logging.getLogger(__name__)

# How long a socket trusts what it learnt about a conversation's members for typing,
# and the member's own row (country, groups' policy) for sending.
TYPING_MEMBERS_SECONDS = 30.0
MEMBER_SECONDS = 30.0


class MessageError(ClientError):
    """A refused dm.send: the error frame names its client_id."""

    def __init__(self, code: str, message: str, client_id: str) -> None:
        super().__init__(code, message)
        self.client_id = client_id


def _id(frame: dict, name: str, *, required: bool = True) -> int | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= ID_MAX:
        raise ClientError("bad_frame", _("'%(name)s' must be a positive integer.") % {"name": name})
    return value


def _not_found() -> ClientError:
    return ClientError("not_found", _("No such conversation."))


@database_sync_to_async
def _member(member_id: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.select_related("organization").get(pk=member_id)


@database_sync_to_async
def _send(member, conversation_id: int, client_id: str, body: str, quote_id):
    from conversations.actions import messages as actions
    from conversations.models import Conversation, DirectMessage

    member_id = member.pk
    # send_message checks that the member sits in it (404 like a missing one otherwise),
    # reading the conversation under its lock; a quote is looked up only for a
    # participant, so it cannot tell what is where.
    conversation = Conversation(pk=conversation_id)
    if quote_id and not rules.is_participant(member_id, conversation_id):
        raise Http404("No such conversation.")
    quote = None
    if quote_id is not None:
        quote = DirectMessage.objects.filter(pk=quote_id, conversation=conversation).first()
        if quote is None:
            raise ValidationError(_("That message cannot be quoted."), code="bad_quote")
    message, _created = actions.send_message(
        author=member, conversation=conversation, body=body, client_id=client_id, quote=quote
    )
    return message.pk, message.seq


@database_sync_to_async
def _read(member_id: int, conversation_id: int, upto: int | None) -> int:
    from django.contrib.auth import get_user_model

    from conversations.actions import messages as actions

    member = get_user_model().objects.get(pk=member_id)
    conversation = rules.get_conversation_or_404(member, conversation_id)
    return actions.mark_read(member=member, conversation=conversation, upto=upto)


@database_sync_to_async
def _typing_targets(member_id: int, conversation_id: int) -> list[int] | None:
    """The other members who may see this member typing here; None: not a participant."""
    if not rules.is_participant(member_id, conversation_id):
        return None
    from conversations.models import Conversation

    conversation = Conversation.objects.get(pk=conversation_id)
    return [m for m in rules.recipients(conversation, member_id) if m != member_id]


class MessageFrames:
    """The dm.* frames of one inbox socket."""

    def __init__(self, consumer, member=None) -> None:
        self.consumer = consumer
        self.typing_at: dict[int, float] = {}
        self.typing_targets: dict[int, tuple[float, list[int] | None]] = {}
        # The member row read when the socket opened serves the first sends too.
        self.member, self.member_at = member, time.monotonic()

    def forget_member(self) -> None:
        """The member's row changed (country, groups, staff): read it again to send."""
        self.member = None

    async def _fresh_member(self):
        """The sending member, read again at most every MEMBER_SECONDS and after a
        recheck (one query less per message; a deactivated member's sockets close on
        their own)."""
        now = time.monotonic()
        if self.member is None or now - self.member_at > MEMBER_SECONDS:
            self.member, self.member_at = await _member(self.consumer.member_id), now
        return self.member

    def handlers(self) -> dict:
        return {"dm.send": self.send, "dm.typing": self.typing, "dm.read": self.read}

    async def send(self, frame: dict) -> None:
        client_id, body = frame.get("client_id"), frame.get("body")
        if not isinstance(client_id, str) or not isinstance(body, str):
            raise ClientError("bad_frame", _("dm.send needs a string 'client_id' and 'body'."))
        if len(client_id) > 64:
            raise ClientError("bad_frame", _("client_id is at most 64 characters."))
        try:
            conversation_id = _id(frame, "conversation")
            quote_id = _id(frame, "quote", required=False)
            member = await self._fresh_member()
            message_id, seq = await _send(member, conversation_id, client_id, body, quote_id)
        except ClientError as error:
            raise MessageError(error.code, error.message, client_id) from None
        except Http404:
            raise MessageError("not_found", _("No such conversation."), client_id) from None
        except PermissionDenied as error:
            raise MessageError("forbidden", str(error), client_id) from None
        except ValidationError as error:
            code = error.code or "invalid"
            raise MessageError(code, " ".join(error.messages), client_id) from None
        await self.consumer.send_json(
            {
                "type": "dm.ack",
                "client_id": client_id,
                "conversation": conversation_id,
                "id": message_id,
                "conversation_seq": seq,
            }
        )

    async def read(self, frame: dict) -> None:
        conversation_id = _id(frame, "conversation")
        upto = _id(frame, "seq", required=False)
        try:
            await _read(self.consumer.member_id, conversation_id, upto)
        except Http404:
            raise _not_found() from None

    async def typing(self, frame: dict) -> None:
        conversation_id = _id(frame, "conversation")
        now = time.monotonic()
        if now - self.typing_at.get(conversation_id, 0.0) < TYPING_INTERVAL:
            return
        known = self.typing_targets.get(conversation_id)
        if known is None or now - known[0] > TYPING_MEMBERS_SECONDS:
            if len(self.typing_targets) > 100:
                self.typing_targets.clear()
            known = (now, await _typing_targets(self.consumer.member_id, conversation_id))
            self.typing_targets[conversation_id] = known
        targets = known[1]
        if targets is None:
            raise _not_found()
        self.typing_at[conversation_id] = now
        await send_typing(self.consumer.member_id, self.consumer.profile, conversation_id, targets)


async def send_typing(member_id: int, profile: dict, conversation_id: int, targets) -> None:
    """Tell the other members' inbox sockets, through the hubs, that this member types.

    Ephemeral: not logged, not replayed; lost if the channel layer is away.
    """
    layer = get_channel_layer()
    frame = live.typing_frame(conversation_id, profile)
    for target in targets:
        key = inbox_stream(target)
        try:
            await layer.group_send(
                events.layer_group(key),
                {
                    "type": "stream.typing",
                    "key": key,
                    "audience": live.audience(target).as_json(),
                    "member_id": member_id,
                    "frame": frame,
                },
            )
        except Exception:
            logger.warning("Could not send a typing notice; it is only a hint")
            return
