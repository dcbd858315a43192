from __future__ import annotations

import itertools

import pytest

from conversations.actions import messages as actions
from tests.mail_fixtures import smtp_server  # noqa: F401  (the real SMTP server)

_ids = itertools.count(1)


def say(author, conversation, body: str, **fields):
    """Send `body` with a fresh client_id; return the stored message."""
    message, _created = actions.send_message(
        author=author,
        conversation=conversation,
        body=body,
        client_id=fields.pop("client_id", f"c-{next(_ids)}"),
        **fields,
    )
    return message


@pytest.fixture
def pair(member, other_country_member):
    """A conversation between a Chinese and a Zambian member of legal-policy."""
    conversation, _first = actions.start_conversation(
        author=member, recipients=[other_country_member], body="Hello", client_id="start-1"
    )
    return conversation
