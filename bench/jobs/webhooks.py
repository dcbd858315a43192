"""The webhook benchmark's setup (a group with three endpoints) and its 1,000 events."""

from __future__ import annotations

import time

from accounts.models import Member
from forum.actions import threads
from forum.models import Membership, ModerationPolicy, Role, WorkingGroup
from webhooks.actions import endpoints
from webhooks.models import Endpoint

DOMAIN = "@webhooks-bench.example"


def _person(handle: str, role: str, group: WorkingGroup) -> Member:
    member = Member.objects.filter(handle=handle).first()
    if member is None:
        member = Member.objects.create_user(
            f"{handle}{DOMAIN}", None, display_name=handle, handle=handle, country="CN"
        )
    Membership.objects.update_or_create(member=member, group=group, defaults={"role": role})
    return member


def setup(*urls: str) -> dict:
    """Point the benchmark group's three endpoints at `urls` (standard format, signed)."""
    group = WorkingGroup.objects.get(slug="legal-policy")
    group.moderation_policy = ModerationPolicy.OFF
    group.save(update_fields=["moderation_policy"])
    Endpoint.objects.filter(group=group).delete()
    chair = _person("bench-webhooks-chair", Role.CHAIR, group)
    _person("bench-webhooks-member", Role.MEMBER, group)
    secrets = []
    for n, url in enumerate(urls):
        _endpoint, secret = endpoints.create_endpoint(
            actor=chair, group=group, name=f"Receiver {n}", url=url
        )
        secrets.append(secret)
    return {"secrets": secrets}


def events(count: str) -> dict:
    """Start `count` threads (each one `thread.created` per endpoint); return the times."""
    group = WorkingGroup.objects.get(slug="legal-policy")
    author = Member.objects.get(handle="bench-webhooks-member")
    started = time.time()
    for n in range(int(count)):
        threads.create_thread(author=author, group=group, title=f"Event {n}", body="Benchmark.")
    return {"started": started, "written": time.time()}


JOBS = {"webhooks_setup": setup, "webhooks_events": events}
