"""Seeds: members, memberships, threads and fresh sessions for each benchmark.

Each seed is idempotent (what exists is reused) and deletes the database's sessions
before creating its own: benchmark databases hold nothing else worth keeping, and a
session table that grows run after run would slow every connect.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Member
from forum import rendering
from forum.actions import meetings as meeting_actions
from forum.actions import notifications as notification_actions
from forum.actions import threads as thread_actions
from forum.models import (
    Meeting,
    Membership,
    Notification,
    Post,
    Role,
    Thread,
    Watch,
    WorkingGroup,
)

GROUP = "legal-policy"


def session_for(member: Member) -> str:
    """Create a signed-in session for `member` directly in the database; return its key."""
    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()
    return session.session_key


def member(email: str, name: str, handle: str, country: str = "ZM") -> Member:
    found, _created = Member.objects.get_or_create(
        email=email, defaults={"display_name": name, "handle": handle, "country": country}
    )
    return found


def members(prefix: str, count: int, countries: tuple[str, ...] = ("ZM",)) -> list[Member]:
    """Return `count` members `<prefix>.00000@bench.example` ..., created when missing."""
    emails = [f"{prefix}.{i:05d}@bench.example" for i in range(count)]
    existing = set(Member.objects.filter(email__in=emails).values_list("email", flat=True))
    new = []
    for i, email in enumerate(emails):
        if email not in existing:
            one = Member(
                email=email,
                display_name=f"{prefix.title()} Member {i:05d}",
                handle=f"{prefix}-{i:05d}",
                country=countries[i % len(countries)],
            )
            one.set_unusable_password()
            new.append(one)
    Member.objects.bulk_create(new, batch_size=500)
    return list(Member.objects.filter(email__in=emails).order_by("email"))


def join(group: WorkingGroup, people: list[Member], role: str = Role.MEMBER) -> None:
    Membership.objects.bulk_create(
        [Membership(member=m, group=group, role=role) for m in people], ignore_conflicts=True
    )
    if role != Role.MEMBER:
        Membership.objects.filter(member__in=people, group=group).update(role=role)


def thread_pages() -> dict:
    """A 1,000-post thread in legal-policy and a reader's session."""
    group = WorkingGroup.objects.get(slug=GROUP)
    reader = member("bench.reader@bench.example", "Bench Reader", "bench-reader", "ZM")
    writer = member("bench.writer@bench.example", "Bench Writer", "bench-writer", "CN")
    join(group, [reader])
    # Trusted: the writer's cross-border posts publish at once under the default policy.
    join(group, [writer], Role.TRUSTED)
    thread = Thread.objects.filter(title="Benchmark thread").first()
    if thread is None:
        thread = thread_actions.create_thread(
            author=writer,
            group=group,
            title="Benchmark thread",
            body="Opening post of the benchmark thread.",
        )
        body = (
            "A reply with **some** Markdown, a [link](https://example.org) and a list:\n\n"
            "- one\n- two"
        )
        html = rendering.render_markdown(body)
        posts = []
        for number in range(2, 1001):
            parent = 1 if number % 5 == 2 else number - 1
            depth = 1 if parent == 1 else min(6, (number - 2) % 5 + 1)
            posts.append(
                Post(
                    thread=thread,
                    author=writer if number % 2 else reader,
                    number=number,
                    depth=depth,
                    path=f"{number:06d}",
                    body_source=body,
                    body_html=html,
                )
            )
        Post.objects.bulk_create(posts, batch_size=500)
        Thread.objects.filter(pk=thread.pk).update(reply_count=999, post_counter=1000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The planner's statistics, as autovacuum would gather them a minute later:
                # without them it planned for 2 posts and sorted all 1,000 for a page.
                cursor.execute("ANALYZE")
    Session.objects.all().delete()
    return {"thread": thread.pk, "session": session_for(reader)}


def group_members(prefix: str, count: str) -> dict:
    """`count` members of legal-policy with sessions, a trusted writer and a thread of theirs."""
    group = WorkingGroup.objects.get(slug=GROUP)
    writer = member(
        f"{prefix}.writer@bench.example", f"{prefix.title()} Writer", f"{prefix}-writer"
    )
    people = members(prefix, int(count))
    join(group, people)
    # A trusted member publishes cross-border replies at once (a plain member's would wait
    # for a moderator under the group's default policy, and reach no reader's socket).
    join(group, [writer], Role.TRUSTED)
    title = f"{prefix.title()} benchmark thread"
    thread = Thread.objects.filter(group=group, title=title).first()
    if thread is None:
        thread = thread_actions.create_thread(
            author=writer,
            group=group,
            title=title,
            body=f"Replies here are written by the {prefix} benchmark.",
            audience="group",
        )
    opening = Post.objects.get(thread=thread, number=1)
    with transaction.atomic():
        Session.objects.all().delete()
        keys = [session_for(m) for m in people]
        writer_key = session_for(writer)
    return {"post": opening.pk, "writer": writer_key, "members": keys}


def meeting_chat(count: str) -> dict:
    """A live meeting in the meetings group and `count` members' sessions."""
    group = WorkingGroup.objects.get(slug="meetings")
    chair = member("chat.chair@bench.example", "Chat Chair", "chat-chair")
    Membership.objects.get_or_create(member=chair, group=group, defaults={"role": Role.CHAIR})
    people = members("chat", int(count), ("ZM", "CN", "KE", "EG"))
    join(group, people)
    meeting = Meeting.objects.filter(group=group, title="Chat benchmark", state="live").first()
    if meeting is None:
        start = timezone.now() - timedelta(minutes=1)
        meeting = meeting_actions.schedule_meeting(
            organizer=chair,
            group=group,
            title="Chat benchmark",
            starts_at=start,
            ends_at=start + timedelta(days=7),
            link="https://meet.example.org/bench",
        )
        meeting = meeting_actions.start_meeting(member=chair, meeting=meeting)
    with transaction.atomic():
        Session.objects.all().delete()
        keys = [session_for(m) for m in people]
    return {"meeting": meeting.pk, "members": keys}


def reply_sample(size: int, sample: int) -> list[int]:
    """Indices of the watchers of a `size`-watcher thread that hold an open inbox socket:
    all of them up to `sample` (0: all), else `sample` spread evenly, the last one included."""
    if sample <= 0 or size <= sample:
        return list(range(size))
    step = (size - 1) / (sample - 1)
    return sorted({round(k * step) for k in range(sample - 1)} | {size - 1})


def replies(sizes: str, sample: str) -> dict:
    """One thread per watcher count, each watched by the first N of the same members.

    Watchers are members of legal-policy who watch the thread through the public
    `set_watch()` action; the benchmark's earlier notifications are deleted, so unread
    counts start from zero in every run.
    """
    counts = sorted({int(s) for s in sizes.split(",")})
    group = WorkingGroup.objects.get(slug=GROUP)
    author = member("replies.author@bench.example", "Replies Author", "replies-author")
    join(group, [author], Role.TRUSTED)
    people = members("replies", max(counts)) if max(counts) else []
    join(group, people)
    threads = {}
    for size in counts:
        title = f"Replies benchmark: {size} watchers"
        thread = Thread.objects.filter(group=group, title=title).first()
        if thread is None:
            thread = thread_actions.create_thread(
                author=author,
                group=group,
                title=title,
                body="Replies here are written by the replies benchmark.",
                audience="group",
            )
        watching = set(
            Watch.objects.filter(thread=thread, muted=False).values_list("member_id", flat=True)
        )
        for one in people[:size]:
            if one.pk not in watching:
                notification_actions.set_watch(member=one, thread=thread, state="watch")
        threads[size] = {
            "thread": thread.pk,
            "post": Post.objects.get(thread=thread, number=1).pk,
        }
    Notification.objects.filter(recipient__in=[author, *people]).delete()
    socket_indices = sorted({i for size in counts for i in reply_sample(size, int(sample))})
    with transaction.atomic():
        Session.objects.all().delete()
        author_key = session_for(author)
        sockets = [
            {"index": i, "id": people[i].pk, "key": session_for(people[i])} for i in socket_indices
        ]
    return {
        "author": author.pk,
        "author_key": author_key,
        "threads": threads,
        "sockets": sockets,
        "member_ids": [m.pk for m in people],
    }


def attachments() -> dict:
    """A thread in legal-policy and its author's session, to reply to with files."""
    group = WorkingGroup.objects.get(slug=GROUP)
    writer = member("bench.files@bench.example", "Bench Files", "bench-files", "CN")
    join(group, [writer], Role.TRUSTED)
    thread = Thread.objects.filter(title="Benchmark files").first()
    if thread is None:
        thread = thread_actions.create_thread(
            author=writer, group=group, title="Benchmark files", body="Files go here."
        )
    Session.objects.all().delete()
    return {"thread": thread.pk, "session": session_for(writer)}


JOBS = {
    "seed_attachments": attachments,
    "seed_thread_pages": thread_pages,
    "seed_group_members": group_members,
    "seed_meeting_chat": meeting_chat,
    "seed_replies": replies,
}
