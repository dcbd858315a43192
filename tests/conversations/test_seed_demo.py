"""The demo data holds one conversation between members of two countries, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from conversations.models import Conversation, DirectMessage

pytestmark = pytest.mark.django_db


def test_seed_demo_starts_one_conversation_across_countries_once():
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    conversation = Conversation.objects.get()
    countries = {p.member.country.code for p in conversation.participants.all()}
    assert countries == {"ZM", "CN"}
    assert DirectMessage.objects.filter(conversation=conversation).count() == 2
