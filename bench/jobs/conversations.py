"""Seed of the direct-messages benchmark: two-member conversations and sessions."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import override_settings

from bench.jobs.seeds import GROUP, join, members, session_for
from forum.models import WorkingGroup


def conversations(count: str) -> dict:
    """`count` conversations of two members of legal-policy (Zambia and China), each
    started once, and a fresh session per member."""
    from conversations.actions import messages as actions
    from conversations.models import DirectMessage

    pairs = int(count)
    group = WorkingGroup.objects.get(slug=GROUP)
    people = members("dm", 2 * pairs, ("ZM", "CN"))
    join(group, people)
    found = []
    with override_settings(DM_CONVERSATIONS_PER_HOUR=10**9, DM_MESSAGES_PER_MINUTE=10**9):
        for i in range(pairs):
            a, b = people[2 * i], people[2 * i + 1]
            started = DirectMessage.objects.filter(client_id=f"bench-start-{i}", author=a).first()
            if started is None:
                conversation, _m = actions.start_conversation(
                    author=a, recipients=[b], body="Bench start", client_id=f"bench-start-{i}"
                )
                conversation_id = conversation.pk
            else:
                conversation_id = started.conversation_id
            found.append((conversation_id, a, b))
    with transaction.atomic():
        Session.objects.all().delete()
        rows = [[c, session_for(a), session_for(b)] for c, a, b in found]
    return {"pairs": rows}


JOBS = {"seed_conversations": conversations}
