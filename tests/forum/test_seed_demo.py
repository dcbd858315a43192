from io import StringIO

from django.core.management import call_command

from accounts.models import Member
from forum.models import Membership, Role, WorkingGroup


def seed() -> list[list[str]]:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return [line.split("\t") for line in out.getvalue().strip().splitlines()]


def test_seed_demo_creates_every_role_in_four_countries_in_every_group(db):
    rows = seed()
    countries = {row[2] for row in rows}
    assert {"CN", "ZM", "KE", "EG"} <= countries
    for group in WorkingGroup.objects.all():
        roles = set(Membership.objects.filter(group=group).values_list("role", flat=True))
        assert roles == set(Role.values)
    assert all(len(row) == 4 for row in rows)
    assert all("@" in row[0] for row in rows)


def test_seed_demo_twice_changes_nothing(db):
    first = seed()
    members = list(Member.objects.order_by("pk").values_list("pk", "email", "password"))
    memberships = Membership.objects.count()
    second = seed()
    assert first == second
    assert list(Member.objects.order_by("pk").values_list("pk", "email", "password")) == members
    assert Membership.objects.count() == memberships


def test_demo_member_can_log_in_and_sees_their_groups(db, anonymous_client):
    seed()
    anonymous_client.post(
        "/accounts/login/", {"login": "member.zm@demo.example", "password": "forum-demo-2026"}
    )
    html = anonymous_client.get("/").content.decode()
    assert "Legal policy" in html and "Meetings" in html


def test_demo_threads_respect_their_audience(db):
    from forum import visibility

    seed()
    zambian = Member.objects.get(email="member.zm@demo.example")
    chinese = Member.objects.get(email="member.cn@demo.example")
    titles = {t.title for t in visibility.visible_threads(zambian)}
    assert any("Mining code" in t for t in titles)
    assert not any("仅限中国成员" in t for t in titles)
    assert any("仅限中国成员" in t.title for t in visibility.visible_threads(chinese))


def test_demo_meeting_is_scheduled_once_and_a_demo_chair_can_start_it(db):
    from forum.actions import meetings
    from forum.models import Meeting

    seed()
    seed()
    meeting = Meeting.objects.get()
    assert meeting.group.slug == "meetings" and meeting.state == "scheduled"
    assert meeting.starts_at > meeting.created_at
    chair = Member.objects.get(email="chair.zm@demo.example")
    meetings.start_meeting(member=chair, meeting=meeting)
    assert Meeting.objects.get().state == "live"


def test_seed_demo_adds_one_demo_webhook_that_logs_refused_attempts_and_retries(db, monkeypatch):
    import socket
    from urllib.parse import urlsplit

    from webhooks import crypto, network
    from webhooks.actions import deliveries
    from webhooks.models import Attempt, Delivery, DeliveryState, Endpoint, Format

    seed()
    seed()
    endpoint = Endpoint.objects.get()
    assert endpoint.group.slug == "legal-policy"
    assert endpoint.format == Format.STANDARD and endpoint.enabled
    assert endpoint.name.startswith("Demo ")
    url = urlsplit(crypto.decrypt(endpoint.url_encrypted))
    assert url.scheme == "https" and url.hostname.endswith(".invalid")
    # The demo threads of the group were delivered to it, once (the second seed adds none).
    queued = Delivery.objects.filter(endpoint=endpoint, event_type="thread.created")
    assert queued.count() >= 1
    delivery = queued.order_by("pk").first()

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(network.socket, "getaddrinfo", no_such_name)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    deliveries.attempt(delivery.message_id)
    delivery.refresh_from_db()
    attempt = Attempt.objects.get(delivery=delivery)
    assert attempt.outcome == Attempt.Outcome.REFUSED
    assert "resolve" in attempt.detail
    assert delivery.state == DeliveryState.PENDING and delivery.failures == 1
    assert delivery.next_attempt_at > attempt.started_at
