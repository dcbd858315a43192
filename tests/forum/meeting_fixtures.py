"""Fixtures shared by the meeting tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.actions import meetings as actions


@pytest.fixture
def schedule(chair, legal):
    """Schedule a meeting of legal-policy through the action, as the chair."""

    def make(*, organizer=None, starts_in=timedelta(hours=1), hours=2, **fields):
        start = timezone.now() + starts_in
        fields.setdefault("title", "Annual forum planning")
        fields.setdefault("link", "https://meet.example.org/annual")
        return actions.schedule_meeting(
            organizer=organizer or chair,
            group=fields.pop("group", legal),
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            **fields,
        )

    return make


@pytest.fixture
def meeting(schedule):
    """A scheduled meeting of the whole legal-policy group, an hour from now."""
    return schedule()


@pytest.fixture
def live_meeting(schedule, chair):
    """A meeting the chair has started."""
    return actions.start_meeting(member=chair, meeting=schedule())
