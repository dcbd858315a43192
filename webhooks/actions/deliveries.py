"""Deliveries: queued by the forum's actions inside their transaction, sent after commit.

The forum calls `post_published` and `minutes_published` from the one place where
each becomes visible; `meetings_starting` runs from the scheduled job and from a
deferred task. Each writes one Delivery row per matching endpoint in the caller's
transaction (a rollback sends nothing) and enqueues its sending on commit.
`attempt` sends one delivery once; `run_due` catches up with lost tasks; `prune`
forgets the log after 30 days.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from forum import visibility as forum_visibility
from forum.models import Event, Meeting, MeetingState, Post, PostStatus, Thread
from webhooks import crypto, formats, network, payloads
from webhooks.models import (
    TEST_EVENT,
    Attempt,
    Delivery,
    DeliveryState,
    Endpoint,
    EventType,
    Format,
)
from webhooks.visibility import endpoint_receives

logger = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, give up.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1  # each wait is stretched or shortened by up to 10%
WECOM_PER_MINUTE = 20
THROTTLED_WAIT = 60
CLAIM_SECONDS = 120  # longer than one attempt can take (15 s timeout per step)
LOG_DAYS = 30
STARTING_AHEAD = timedelta(minutes=15)


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def retry_delays() -> tuple[float, ...]:
    """The retry schedule, scaled by WEBHOOKS_RETRY_SCALE (the benchmark shortens it)."""
    scale = float(getattr(settings, "WEBHOOKS_RETRY_SCALE", 1.0))
    delays = getattr(settings, "WEBHOOKS_RETRY_DELAYS", RETRY_DELAYS)
    return tuple(d * scale for d in delays)


def jittered(seconds: float) -> float:
    return seconds * random.uniform(1 - JITTER, 1 + JITTER)


# --- queueing, inside the forum's transactions ----------------------------------------


def _queue(
    *,
    group_id: int,
    event_type: str,
    event_key: str,
    scope,
    audience: str,
    build: Callable[[Endpoint], dict],
    subject: dict,
) -> list[Delivery]:
    """Write one delivery per enabled endpoint of the group that wants `event_type` and
    may receive content of `scope`; send each once the transaction commits."""
    candidates = Endpoint.objects.filter(group_id=group_id, enabled=True)
    candidates = [
        endpoint
        for endpoint in candidates
        if endpoint.wants(event_type) and endpoint_receives(endpoint.country, scope, audience)
    ]
    if not candidates:
        return []
    # A doubled trigger (a retried job, a task run twice) finds its rows and adds none.
    done = set(
        Delivery.objects.filter(event_key=event_key, endpoint__in=candidates).values_list(
            "endpoint_id", flat=True
        )
    )
    rows = [
        Delivery(
            endpoint=endpoint,
            event_type=event_type,
            event_key=event_key,
            message_id=new_message_id(),
            payload=build(endpoint),
            **subject,
        )
        for endpoint in candidates
        if endpoint.pk not in done
    ]
    if not rows:
        return []
    # Two at once: the constraint keeps one.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = [row.message_id for row in rows]
    transaction.on_commit(lambda: enqueue_many(ids), robust=True)
    return rows


def post_published(*, post: Post, thread: Thread, event: Event) -> list[Delivery]:
    """Queue `thread.created` (an opening post) or `post.published` (a reply) for a post
    that has just become published; `event` is its logged event (audience and seq)."""
    if post.status != PostStatus.PUBLISHED:
        return []
    type_ = EventType.THREAD_CREATED if post.is_opening else EventType.POST_PUBLISHED
    data = payloads.post_data(thread, post, event.seq)
    when = event.created_at

    def build(endpoint: Endpoint) -> dict:
        extra = {"excerpt": payloads.excerpt(post.body_html)} if endpoint.include_excerpt else {}
        return payloads.envelope(type_, when, {**data, **extra})

    return _queue(
        group_id=thread.group_id,
        event_type=type_,
        event_key=f"{type_}:{post.pk}",
        scope=event.audience,
        audience=thread.audience,
        build=build,
        subject={"thread_id": thread.pk, "post_id": post.pk},
    )


def minutes_published(*, meeting: Meeting, thread: Thread) -> list[Delivery]:
    """Queue `meeting.minutes` for minutes just published as `thread`."""
    opening = Post.objects.filter(thread=thread, number=1).first()
    if opening is None or opening.status != PostStatus.PUBLISHED:
        return []
    data = payloads.minutes_data(meeting, thread)
    now = timezone.now()

    def build(endpoint: Endpoint) -> dict:
        extra = {"excerpt": payloads.excerpt(opening.body_html)} if endpoint.include_excerpt else {}
        return payloads.envelope(EventType.MEETING_MINUTES, now, {**data, **extra})

    return _queue(
        group_id=meeting.group_id,
        event_type=EventType.MEETING_MINUTES,
        event_key=f"{EventType.MEETING_MINUTES}:{meeting.pk}",
        scope=forum_visibility.meeting_event_audience(meeting),
        audience=meeting.audience,
        build=build,
        subject={"meeting_id": meeting.pk, "thread_id": thread.pk},
    )


def _starting_key(meeting: Meeting) -> str:
    # A meeting moved to another time is announced again for the new time.
    return f"{EventType.MEETING_STARTING}:{meeting.pk}:{int(meeting.starts_at.timestamp())}"


def meeting_starting(meeting: Meeting, now: datetime | None = None) -> list[Delivery]:
    """Queue `meeting.starting` for a scheduled meeting that starts within 15 minutes."""
    now = now or timezone.now()
    if meeting.state != MeetingState.SCHEDULED or not (
        now < meeting.starts_at <= now + STARTING_AHEAD
    ):
        return []
    data = payloads.meeting_data(meeting)
    with transaction.atomic():
        return _queue(
            group_id=meeting.group_id,
            event_type=EventType.MEETING_STARTING,
            event_key=_starting_key(meeting),
            scope=forum_visibility.meeting_event_audience(meeting),
            audience=meeting.audience,
            build=lambda endpoint: payloads.envelope(EventType.MEETING_STARTING, now, data),
            subject={"meeting_id": meeting.pk},
        )


def meetings_starting(now: datetime | None = None) -> int:
    """Queue `meeting.starting` for every meeting starting within 15 minutes (the
    scheduled job; a meeting already announced for its time is not announced again)."""
    now = now or timezone.now()
    due = (
        Meeting.objects.filter(
            state=MeetingState.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + STARTING_AHEAD,
            group__webhook_endpoints__enabled=True,
        )
        .distinct()
        .select_related("group")
    )
    return sum(len(meeting_starting(meeting, now)) for meeting in due)


def meeting_scheduled(meeting: Meeting) -> None:
    """Arrange, once the meeting's write commits, a deferred task that announces it 15
    minutes before its start (the scheduled job `send_webhooks` also does, every minute)."""
    if not Endpoint.objects.filter(group_id=meeting.group_id, enabled=True).exists():
        return
    meeting_id, when = meeting.pk, meeting.starts_at - STARTING_AHEAD

    def arrange() -> None:
        from django.tasks import default_task_backend

        from webhooks import tasks

        if when <= timezone.now():
            tasks.announce_meeting.enqueue(meeting_id)
        elif default_task_backend.supports_defer:
            tasks.announce_meeting.using(run_after=when).enqueue(meeting_id)

    transaction.on_commit(arrange, robust=True)


def queue_test(endpoint: Endpoint) -> Delivery:
    """Queue a test message to one endpoint (enabled or not: a chair checks it works)."""
    now = timezone.now()
    payload = payloads.envelope(TEST_EVENT, now, payloads.test_data(endpoint.group))
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type=TEST_EVENT,
        event_key=f"{TEST_EVENT}:{new_message_id()}",
        message_id=new_message_id(),
        payload=payload,
    )
    transaction.on_commit(lambda: enqueue(delivery.message_id), robust=True)
    return delivery


def requeue(delivery: Delivery) -> Delivery:
    """Send a delivery again from now (same message id and payload: receivers that
    already took it recognize it), with a fresh retry schedule."""
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).exclude(state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING,
        failures=0,
        next_attempt_at=now,
        claimed_until=None,
        finished_at=None,
    )
    transaction.on_commit(lambda: enqueue(delivery.message_id), robust=True)
    delivery.refresh_from_db()
    return delivery


# --- enqueueing the sends -------------------------------------------------------------


def enqueue(message_id: str, when: datetime | None = None) -> None:
    """Enqueue the send of one delivery at `when` (now by default). A backend that
    cannot defer leaves a later send to `run_due`, which the scheduled job calls."""
    from django.tasks import default_task_backend

    from webhooks import tasks

    try:
        if when is None or when <= timezone.now():
            tasks.deliver.enqueue(message_id)
        elif default_task_backend.supports_defer:
            tasks.deliver.using(run_after=when).enqueue(message_id)
    except Exception:
        # Nothing is lost: the delivery row waits for `run_due`.
        logger.warning("Could not enqueue webhook delivery %s", message_id, exc_info=True)


def enqueue_many(message_ids: list[str]) -> None:
    for message_id in message_ids:
        enqueue(message_id)


# --- sending ----------------------------------------------------------------------------


def still_deliverable(delivery: Delivery) -> bool:
    """Return whether what `delivery` carries may still leave: published, in the
    endpoint's group, and in an audience the endpoint receives (asked again before
    every attempt, so a removal or a narrowed audience stops the retries)."""
    endpoint = delivery.endpoint
    if delivery.event_type == TEST_EVENT:
        return True
    if delivery.post_id is not None:
        post = Post.objects.select_related("thread").filter(pk=delivery.post_id).first()
        if post is None or post.status != PostStatus.PUBLISHED:
            return False
        thread = post.thread
        if thread.group_id != endpoint.group_id:
            return False
        scope = forum_visibility.thread_audience(thread)
        return endpoint_receives(endpoint.country, scope, thread.audience)
    if delivery.meeting_id is not None:
        meeting = Meeting.objects.filter(pk=delivery.meeting_id).first()
        if meeting is None or meeting.group_id != endpoint.group_id:
            return False
        moved = meeting.state != MeetingState.SCHEDULED or (
            _starting_key(meeting) != delivery.event_key
        )
        if delivery.event_type == EventType.MEETING_STARTING and moved:
            return False
        if delivery.event_type == EventType.MEETING_MINUTES:
            opening = Post.objects.filter(thread_id=delivery.thread_id, number=1).first()
            if opening is None or opening.status != PostStatus.PUBLISHED:
                return False
        scope = forum_visibility.meeting_event_audience(meeting)
        return endpoint_receives(endpoint.country, scope, meeting.audience)
    return False


def _claim(message_id: str, now: datetime) -> Delivery | None:
    """Take a due pending delivery for this worker alone (one conditional UPDATE)."""
    claimed = Delivery.objects.filter(
        message_id=message_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(state=DeliveryState.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint", "endpoint__group").get(message_id=message_id)


def _take_slot(delivery: Delivery, now: datetime) -> Attempt | datetime:
    """Start an attempt, or, for a WeCom bot that had its 20 messages this minute,
    return when the next slot frees (the message waits; it is never dropped)."""
    endpoint = delivery.endpoint
    with transaction.atomic():
        if endpoint.format == Format.WECOM:
            # Writing the endpoint's row first serializes the bots' senders (a row lock on
            # PostgreSQL, the write lock on SQLite), so two workers never both take slot 20.
            Endpoint.objects.filter(pk=endpoint.pk).update(updated_at=F("updated_at"))
            recent = list(
                Attempt.objects.filter(endpoint=endpoint, started_at__gt=now - timedelta(minutes=1))
                .exclude(outcome=Attempt.Outcome.REFUSED)
                .order_by("-started_at")
                .values_list("started_at", flat=True)[:WECOM_PER_MINUTE]
            )
            if len(recent) >= WECOM_PER_MINUTE:
                return recent[-1] + timedelta(minutes=1)
        return Attempt.objects.create(delivery=delivery, endpoint=endpoint, started_at=now)


def _request(delivery: Delivery, now: datetime) -> formats.Request:
    endpoint = delivery.endpoint
    signing = [crypto.decrypt(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and (
        endpoint.previous_secret_until and endpoint.previous_secret_until > now
    ):
        signing.append(crypto.decrypt(endpoint.previous_secret_encrypted))
    return formats.build(
        endpoint.format, delivery.payload, message_id=delivery.message_id, secrets=signing, now=now
    )


def attempt(message_id: str, now: datetime | None = None) -> Delivery | None:
    """Send one due delivery once and record the attempt; schedule the next on failure.

    Returns the delivery, or None when it was not due or another worker has it.
    """
    now = now or timezone.now()
    # One transaction before the request and one after it: the claim, the checks and
    # the attempt's row commit together, and so do the outcome and the next try.
    with transaction.atomic():
        delivery = _claim(message_id, now)
        if delivery is None:
            return None
        endpoint = delivery.endpoint
        if not endpoint.enabled and delivery.event_type != TEST_EVENT:
            return _withdraw(delivery, now, "The endpoint is disabled.")
        if not still_deliverable(delivery):
            return _withdraw(delivery, now, "The content is no longer published for this endpoint.")
        slot = _take_slot(delivery, now)
        if isinstance(slot, datetime):
            return _reschedule(delivery, slot, count_failure=False)
    request = _request(delivery, now)
    try:
        answer = network.post(crypto.decrypt(endpoint.url_encrypted), request.body, request.headers)
    except network.Refused as refused:
        verdict = formats.Verdict("refused", detail=str(refused))
        status, duration = None, 0
    except httpx.HTTPError as error:
        verdict = formats.Verdict("failure", detail=f"{type(error).__name__}: {error}"[:500])
        status, duration = None, 0
    else:
        verdict = formats.judge(endpoint.format, answer.status, answer.headers, answer.body, now)
        status, duration = answer.status, answer.duration_ms
    with transaction.atomic():
        return _settle(delivery, slot, verdict, status, duration, now)


def _withdraw(delivery: Delivery, now: datetime, why: str) -> Delivery:
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            endpoint=delivery.endpoint,
            started_at=now,
            outcome=Attempt.Outcome.REFUSED,
            detail=why,
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.WITHDRAWN, claimed_until=None, finished_at=now
        )
    delivery.state = DeliveryState.WITHDRAWN
    return delivery


def _reschedule(delivery: Delivery, when: datetime, *, count_failure: bool) -> Delivery:
    changes = {"state": DeliveryState.PENDING, "next_attempt_at": when, "claimed_until": None}
    if count_failure:
        changes["failures"] = F("failures") + 1
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
        transaction.on_commit(lambda: enqueue(delivery.message_id, when), robust=True)
    delivery.refresh_from_db()
    return delivery


def _settle(
    delivery: Delivery,
    slot: Attempt,
    verdict: formats.Verdict,
    status: int | None,
    duration: int,
    now: datetime,
) -> Delivery:
    outcome = {
        "success": Attempt.Outcome.SUCCESS,
        "throttled": Attempt.Outcome.THROTTLED,
        "gone": Attempt.Outcome.GONE,
        "refused": Attempt.Outcome.REFUSED,
    }.get(verdict.outcome, Attempt.Outcome.FAILURE)
    Attempt.objects.filter(pk=slot.pk).update(
        outcome=outcome, status_code=status, duration_ms=duration, detail=verdict.detail[:500]
    )
    endpoint = delivery.endpoint
    if verdict.outcome == "success":
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, claimed_until=None, finished_at=now
        )
        delivery.state = DeliveryState.DELIVERED
        return delivery
    if verdict.outcome == "throttled":
        wait = verdict.retry_after if verdict.retry_after is not None else THROTTLED_WAIT
        return _reschedule(delivery, now + timedelta(seconds=wait), count_failure=False)
    if verdict.outcome == "gone":
        from webhooks.actions import endpoints

        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, claimed_until=None, finished_at=now
        )
        endpoints.disable_gone(endpoint)
        delivery.state = DeliveryState.FAILED
        return delivery
    delays = retry_delays()
    if delivery.failures >= len(delays):
        from webhooks.actions import endpoints

        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED,
            failures=F("failures") + 1,
            claimed_until=None,
            finished_at=now,
        )
        endpoints.tell_chairs_exhausted(endpoint, delivery)
        delivery.refresh_from_db()
        return delivery
    wait = (
        verdict.retry_after
        if verdict.retry_after is not None
        else jittered(delays[delivery.failures])
    )
    return _reschedule(delivery, now + timedelta(seconds=wait), count_failure=True)


# --- the scheduled job ------------------------------------------------------------------


def run_due(
    now: datetime | None = None, *, grace: timedelta = timedelta(0), limit: int = 500
) -> int:
    """Send what is due and whose task was lost (a worker that died mid-send, a backend
    that cannot defer); return how many were attempted."""
    now = now or timezone.now()
    # A claim past its time: the worker died. Its attempt counts as failed.
    stale = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_until__lt=now)
    for delivery_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            Attempt.objects.filter(delivery_id=delivery_id, outcome=Attempt.Outcome.SENDING).update(
                outcome=Attempt.Outcome.FAILURE, detail="Interrupted."
            )
            Delivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING).update(
                state=DeliveryState.PENDING, claimed_until=None, next_attempt_at=now
            )
    due = Delivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=now - grace
    ).order_by("next_attempt_at", "pk")
    sent = 0
    for message_id in list(due.values_list("message_id", flat=True)[:limit]):
        if attempt(message_id, now) is not None:
            sent += 1
    return sent


def prune(now: datetime | None = None) -> int:
    """Forget attempts older than 30 days, and finished deliveries left without any."""
    cutoff = (now or timezone.now()) - timedelta(days=LOG_DAYS)
    removed, _detail = Attempt.objects.filter(started_at__lt=cutoff).delete()
    finished = Delivery.objects.filter(
        created_at__lt=cutoff,
        state__in=[DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.WITHDRAWN],
    )
    gone, _detail = finished.delete()
    return removed + gone
