"""Email digests: who is due, what each member may see, the message, and sending it once.

A run (`manage.py send_digests`) takes the members whose local hour and weekday say a
digest is due, claims one `Digest` row per (member, period), builds the content for a
batch of members in a constant number of queries, and sends it. The row's unique
(member, period) constraint and its status make a rerun after a crash send the rest,
and nobody twice; a failed send stays `failed` and is retried by the next run.

Who sees what is decided by `forum.visibility`: `readers_by_group` and `audiences_of`
load each member's reader and each thread's audience once per batch, and
`visibility.may_receive` decides per item without a query.
"""

from __future__ import annotations

import bisect
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import unsubscribe
from accounts.models import DigestFrequency, Member
from forum import visibility
from forum.models import Digest, Mention, Post, PostStatus, Thread, WorkingGroup

logger = logging.getLogger(__name__)

PERIOD_LENGTH = {
    DigestFrequency.DAILY: timedelta(days=1),
    DigestFrequency.WEEKLY: timedelta(days=7),
}
# A failed digest is retried by later runs this many times, then left for a person.
MAX_ATTEMPTS = 5
EXCERPT_CHARS = 240
THREADS_PER_GROUP = 10
MEMBER_FIELDS = (
    "id",
    "email",
    "display_name",
    "country",
    "language",
    "time_zone",
    "is_staff",
    "is_active",
    "digest_frequency",
    "digest_weekday",
    "digest_hour",
    "digest_skip_groups",
)


# --- when -------------------------------------------------------------------------------


def due_period(member: Member, now: datetime) -> str | None:
    """Return the period key a digest is due for at `now`, or None.

    Due once the member's local clock has reached their hour, on their local date
    (and weekday, for weekly digests): "daily:2026-11-24" covers that local day.
    """
    if member.digest_frequency not in PERIOD_LENGTH:
        return None
    try:
        zone = ZoneInfo(member.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    if local.hour < member.digest_hour:
        return None
    if member.digest_frequency == DigestFrequency.WEEKLY and local.weekday() != (
        member.digest_weekday
    ):
        return None
    return f"{member.digest_frequency}:{local.date().isoformat()}"


# --- what -------------------------------------------------------------------------------


@dataclass
class ThreadItem:
    id: int
    title: str
    url: str
    author: str
    country: str
    excerpt: str = ""
    replies: int = 0
    top_post_excerpt: str = ""
    top_post_id: int | None = None
    top_post_author: str = ""
    top_post_url: str = ""
    top_post_replies: int = 0


@dataclass
class GroupSection:
    group: WorkingGroup
    name: str
    url: str
    new_threads: list[ThreadItem] = field(default_factory=list)
    active_threads: list[ThreadItem] = field(default_factory=list)
    new_thread_count: int = 0
    reply_count: int = 0
    pending: int = 0
    # The section, rendered once per language for everyone who reads alike.
    rendered_text: str = ""
    rendered_html: str = ""


@dataclass
class ExtraItem:
    text: str
    url: str = ""
    when: datetime | None = None


@dataclass
class ExtraSection:
    """A section another feature adds (upcoming meetings): a title and a few lines."""

    title: str
    items: list[ExtraItem]
    # Whether something here is new since the last digest: only news sends an email.
    news: bool = True


@dataclass
class MentionItem:
    author: str
    thread_title: str
    excerpt: str
    url: str


@dataclass
class DigestContent:
    member: Member
    since: datetime
    until: datetime
    groups: list[GroupSection] = field(default_factory=list)
    mentions: list[MentionItem] = field(default_factory=list)
    extra: list[ExtraSection] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(section.pending for section in self.groups)

    def is_empty(self) -> bool:
        return not (
            any(s.new_thread_count or s.reply_count for s in self.groups)
            or self.mentions
            or self.pending
            or any(section.items and section.news for section in self.extra)
        )


# Builders of extra sections: called once per batch with (members, since by member id,
# until) and returning {member id: ExtraSection}. Meetings plug "upcoming meetings in
# the next 7 days" in here; each builder must use a constant number of queries and
# forum.visibility, like the rest of this module.
ExtraBuilder = Callable[[list[Member], dict[int, datetime], datetime], dict[int, ExtraSection]]

UPCOMING_DAYS = 7


def upcoming_meetings(
    members: list[Member], since: dict[int, datetime], until: datetime
) -> dict[int, ExtraSection]:
    """Meetings in the next seven days that each member may see, in their digest's groups.
    Times are shown in the member's zone (the message is rendered in it)."""
    found = visibility.upcoming_meetings_for(members, until, until + timedelta(days=UPCOMING_DAYS))
    sections = {}
    for member in members:
        skip = set(member.digest_skip_groups or [])
        meetings = [m for m in found.get(member.pk, []) if m.group_id not in skip]
        if meetings:
            sections[member.pk] = ExtraSection(
                title=gettext_lazy("Upcoming meetings"),
                items=[
                    ExtraItem(
                        text=meeting.title,
                        url=_absolute(meeting.get_absolute_url()),
                        when=meeting.starts_at,
                    )
                    for meeting in meetings
                ],
                # A meeting already announced is a reminder: it rides along, alone it
                # sends no email.
                news=any(m.created_at >= since[member.pk] for m in meetings),
            )
    return sections


EXTRA_SECTIONS: list[ExtraBuilder] = [upcoming_meetings]


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _excerpt(html: str) -> str:
    return Truncator(" ".join(strip_tags(html).split())).chars(EXCERPT_CHARS)


def build(
    members: list[Member],
    since: dict[int, datetime],
    until: datetime,
    *,
    shared: dict | None = None,
) -> dict:
    """Return {member id: DigestContent} for a batch, in a constant number of queries.

    `shared` carries thread items from one batch of a run to the next (same `until`).
    """
    readers = visibility.readers_by_group(members)
    groups = {g.pk: g for g in WorkingGroup.objects.all()}
    wanted_groups = {group_id for _member, group_id in readers}
    earliest = min(since.values(), default=until)
    threads = {
        t.pk: t
        for t in Thread.objects.filter(group__in=wanted_groups)
        .filter(Q(created_at__gte=earliest) | Q(last_activity_at__gte=earliest))
        .select_related("author")
        .only(
            "pk",
            "group_id",
            "title",
            "created_at",
            "author__display_name",
            "author__country",
        )
    }
    openings = {
        thread_id: (status, html)
        for thread_id, status, html in Post.objects.filter(
            thread__in=list(threads), parent__isnull=True
        ).values_list("thread_id", "status", "body_html")
    }
    replies = list(
        Post.objects.filter(
            thread__in=list(threads),
            parent__isnull=False,
            status=PostStatus.PUBLISHED,
            created_at__gte=earliest,
            created_at__lt=until,
        )
        .order_by("created_at")
        .values_list("pk", "thread_id", "parent_id", "created_at")
    )
    mentions = list(
        Mention.objects.filter(
            member__in=[m.pk for m in members],
            post__status=PostStatus.PUBLISHED,
            post__created_at__gte=earliest,
            post__created_at__lt=until,
        ).values_list(
            "member_id",
            "post_id",
            "post__thread_id",
            "post__thread__title",
            "post__created_at",
            "post__author__display_name",
            "post__body_html",
        )
    )
    pending = list(
        Post.objects.filter(status=PostStatus.PENDING, thread__group__in=wanted_groups)
        .values_list("thread_id", "thread__group_id")
        .order_by()
    )
    audiences = visibility.audiences_of(
        set(threads) | {row[2] for row in mentions} | {row[0] for row in pending}
    )

    # Per thread: reply times (sorted) to count "new since" by bisection.
    reply_times: dict[int, list[datetime]] = defaultdict(list)
    children: dict[int, int] = defaultdict(int)
    for _pk, thread_id, parent_id, created_at in replies:
        reply_times[thread_id].append(created_at)
        children[parent_id] += 1
    by_thread: dict[int, list[tuple]] = defaultdict(list)
    for row in replies:
        by_thread[row[1]].append(row)

    top_cache: dict[tuple[int, datetime], tuple[int, int] | None] = {}

    def top_post(thread_id: int, after: datetime) -> tuple[int, int] | None:
        key = (thread_id, after)
        if key not in top_cache:
            new = [row for row in by_thread[thread_id] if row[3] > after]
            best = max(new, key=lambda row: (children[row[0]], -row[0]), default=None)
            top_cache[key] = (best[0], children[best[0]]) if best else None
        return top_cache[key]

    threads_by_group: dict[int, list[Thread]] = defaultdict(list)
    for thread in threads.values():
        threads_by_group[thread.group_id].append(thread)
    pending_by_group: dict[int, list[int]] = defaultdict(list)
    for thread_id, group_id in pending:
        pending_by_group[group_id].append(thread_id)

    # Members who read alike (same group, country, staff flag and start) see the same
    # threads: compute each such view once and share it.
    views: dict[tuple, tuple[list[ThreadItem], list[ThreadItem], int, int]] = {}

    # Items depend on the thread and the start only, whoever reads them: build each once.
    items: dict[tuple[int, datetime], ThreadItem] = (
        {} if shared is None else shared.setdefault("items", {})
    )

    def thread_item(thread, html: str, after: datetime, new_replies: int, is_new: bool):
        key = (thread.pk, after)
        if key not in items:
            item = ThreadItem(
                id=thread.pk,
                title=thread.title,
                url=_absolute(thread.get_absolute_url()),
                author=thread.author.display_name,
                country=thread.author.country.code,
                replies=new_replies,
            )
            if is_new:
                item.excerpt = _excerpt(html)
            else:
                top = top_post(thread.pk, after)
                if top:
                    item.top_post_id, item.top_post_replies = top
            items[key] = item
        return items[key]

    def group_view(group_id: int, reader: visibility.Reader, after: datetime):
        key = (group_id, reader.country, reader.staff, after)
        if key in views:
            return views[key]
        new_threads, active_threads, reply_count = [], [], 0
        for thread in threads_by_group[group_id]:
            status, html = openings.get(thread.pk, (None, ""))
            if status is None or not audiences[thread.pk].for_post(status).admits(reader):
                continue
            if status not in (PostStatus.PUBLISHED, PostStatus.REMOVED):
                continue  # a digest lists a thread in review only in the moderators' count
            times = reply_times.get(thread.pk, [])
            new_replies = len(times) - bisect.bisect_right(times, after)
            is_new = thread.created_at > after and status == PostStatus.PUBLISHED
            if not is_new and not new_replies:
                continue
            item = thread_item(thread, html, after, new_replies, is_new)
            reply_count += new_replies
            (new_threads if is_new else active_threads).append(item)
        new_count = len(new_threads)
        new_threads.sort(key=lambda item: -item.id)
        active_threads.sort(key=lambda item: (-item.replies, -item.id))
        views[key] = (
            new_threads[:THREADS_PER_GROUP],
            active_threads[:THREADS_PER_GROUP],
            new_count,
            reply_count,
        )
        return views[key]

    pending_counts: dict[tuple, int] = {}

    def pending_count(group_id: int, reader: visibility.Reader) -> int:
        if not reader.moderator:
            return 0
        key = (group_id, reader.country, reader.staff)
        if key not in pending_counts:
            pending_counts[key] = sum(
                1
                for thread_id in pending_by_group[group_id]
                if audiences[thread_id].for_post(PostStatus.PENDING).admits(reader)
            )
        return pending_counts[key]

    contents: dict[int, DigestContent] = {}
    ordered_groups = sorted(groups.values(), key=lambda group: group.name)
    for member in members:
        after = since[member.pk]
        content = DigestContent(member=member, since=after, until=until)
        skip = set(member.digest_skip_groups or [])
        for group in ordered_groups:
            reader = readers.get((member.pk, group.pk))
            if reader is None or group.pk in skip:
                continue
            new_threads, active_threads, new_count, reply_count = group_view(
                group.pk, reader, after
            )
            section = GroupSection(
                group=group,
                name=group.name,
                url=_absolute(group.get_absolute_url()),
                new_threads=new_threads,
                active_threads=active_threads,
                new_thread_count=new_count,
                reply_count=reply_count,
                pending=pending_count(group.pk, reader),
            )
            if section.new_thread_count or section.reply_count or section.pending:
                content.groups.append(section)
        contents[member.pk] = content

    for member_id, post_id, thread_id, title, created_at, author, html in mentions:
        content = contents[member_id]
        if created_at <= content.since or thread_id not in audiences:
            continue
        group_id = threads[thread_id].group_id if thread_id in threads else None
        reader = readers.get((member_id, group_id))
        status = openings.get(thread_id, (PostStatus.PUBLISHED,))[0]
        if reader is None or not audiences[thread_id].for_post(status).admits(reader):
            continue
        if status not in (PostStatus.PUBLISHED, PostStatus.REMOVED):
            continue  # a mention in a thread still in review waits for its publication
        content.mentions.append(
            MentionItem(
                author=author,
                thread_title=title,
                excerpt=_excerpt(html),
                url=_absolute(f"/p/{post_id}/"),
            )
        )

    # Every batch asks for the top posts of all its items (the same query whatever
    # earlier batches built), so each batch costs the same number of queries.
    top_posts_needed = {item.top_post_id for item in items.values() if item.top_post_id}
    if top_posts_needed:
        tops = {
            pk: (author, html)
            for pk, author, html in Post.objects.filter(pk__in=top_posts_needed).values_list(
                "pk", "author__display_name", "body_html"
            )
        }
        for item in items.values():
            if item.top_post_id in tops and not item.top_post_url:
                item.top_post_author, html = tops[item.top_post_id]
                item.top_post_excerpt = _excerpt(html)
                item.top_post_url = _absolute(f"/p/{item.top_post_id}/")

    for builder in EXTRA_SECTIONS:
        for member_id, section in builder(members, since, until).items():
            if member_id in contents and section.items:
                contents[member_id].extra.append(section)
    return contents


# --- the message ------------------------------------------------------------------------


def subject_for(content: DigestContent) -> str:
    """Say what is inside: "Legal policy: 3 new threads, 12 replies"."""
    parts = []
    for section in content.groups:
        counts = []
        if section.new_thread_count:
            counts.append(
                ngettext("%(n)d new thread", "%(n)d new threads", section.new_thread_count)
                % {"n": section.new_thread_count}
            )
        if section.reply_count:
            counts.append(
                ngettext("%(n)d reply", "%(n)d replies", section.reply_count)
                % {"n": section.reply_count}
            )
        if counts:
            parts.append(
                _("%(group)s: %(counts)s") % {"group": section.name, "counts": ", ".join(counts)}
            )
    if content.mentions:
        parts.append(
            ngettext("%(n)d mention", "%(n)d mentions", len(content.mentions))
            % {"n": len(content.mentions)}
        )
    if content.pending:
        parts.append(
            ngettext("%(n)d post to review", "%(n)d posts to review", content.pending)
            % {"n": content.pending}
        )
    for section in content.extra:
        if section.news:
            parts.append(str(section.title))
    return "; ".join(parts) or _("Forum digest")


class DigestMessage(EmailMultiAlternatives):
    """A digest with base64 bodies: Python's email package otherwise sniffs each part
    and usually picks quoted-printable, whose pure-Python encoder was the largest single
    cost of a run (a third of building a 20 KB message)."""

    def _add_bodies(self, msg):
        # Replaces EmailMultiAlternatives._add_bodies (Django 6.1); the SMTP tests parse
        # what arrives, so a change there cannot pass unnoticed.
        msg.set_content(self.body, subtype="plain", charset="utf-8", cte="base64")
        for content, mimetype in self.alternatives:
            subtype = mimetype.split("/", 1)[1]
            msg.add_alternative(content, subtype=subtype, charset="utf-8", cte="base64")
        return msg


def render_message(content: DigestContent, fragments: dict | None = None) -> EmailMultiAlternatives:
    """Return the digest email in the member's language and time zone, with unsubscribe.

    `fragments` caches rendered group sections within a batch: members who read alike
    share them, so each is rendered once per language.
    """
    member = content.member
    fragments = {} if fragments is None else fragments
    with translation.override(member.language), timezone.override(member.time_zone):
        for section in content.groups:
            section.name = _(section.group.name)
            key = (
                id(section.new_threads),
                id(section.active_threads),
                section.group.pk,
                section.pending,
                member.language,
            )
            if key not in fragments:
                context = {"section": section}
                fragments[key] = (
                    render_to_string("email/_digest_section.txt", context),
                    mark_safe(render_to_string("email/_digest_section.html", context)),  # noqa: S308
                )
            section.rendered_text, section.rendered_html = fragments[key]
        subject = subject_for(content)
        unsubscribe_url = unsubscribe.link(member, "digest")
        context = {
            "content": content,
            "member": member,
            "site_url": settings.SITE_URL,
            "settings_url": _absolute("/settings/notifications/"),
            "unsubscribe_url": unsubscribe_url,
            "subject": subject,
            "LANGUAGE_BIDI": translation.get_language_bidi(),
        }
        text = render_to_string("email/digest.txt", context)
        html = render_to_string("email/digest.html", context)
    message = DigestMessage(
        subject,
        text,
        to=[member.email],
        headers=unsubscribe.headers(member, "digest", url=unsubscribe_url),
    )
    message.attach_alternative(html, "text/html")
    return message


# --- the run ----------------------------------------------------------------------------


@dataclass
class RunReport:
    due: int = 0
    sent: int = 0
    empty: int = 0
    failed: int = 0
    unknown: int = 0
    batches: int = 0
    planned: list[tuple[str, str]] = field(default_factory=list)


def _candidates(now: datetime, shard: tuple[int, int]) -> Iterable[tuple[Member, str]]:
    """Yield (member, period) for every member due now, reading members in chunks."""
    members = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(digest_frequency=DigestFrequency.OFF)
        .only(*MEMBER_FIELDS)
        .order_by("pk")
    )
    index, count = shard
    if count > 1:
        members = members.alias(shard=F("pk") % count).filter(shard=index)
    for member in members.iterator(chunk_size=2000):
        period = due_period(member, now)
        if period is not None:
            yield member, period


def _since(members: list[Member], now: datetime) -> dict[int, datetime]:
    """Return where each member's digest starts: the end of their last one, at most a period."""
    last = dict(
        Digest.objects.filter(
            member__in=[m.pk for m in members], status__in=[Digest.Status.SENT, Digest.Status.EMPTY]
        )
        .values("member")
        .annotate(until=Max("until"))
        .values_list("member", "until")
    )
    since = {}
    for member in members:
        floor = now - PERIOD_LENGTH.get(member.digest_frequency, timedelta(days=1))
        previous = last.get(member.pk)
        since[member.pk] = max(previous, floor) if previous else floor
    return since


def send_batch(
    pairs: list[tuple[Member, str]],
    now: datetime,
    report: RunReport,
    *,
    dry_run: bool,
    shared: dict | None = None,
) -> None:
    """Claim, build, send and record the digests of one batch (a constant number of queries)."""
    report.batches += 1
    members = {member.pk: member for member, _period in pairs}
    periods = {member.pk: period for member, period in pairs}
    if dry_run:
        done = {
            (m, p)
            for m, p in Digest.objects.filter(
                member__in=list(members),
                status__in=[Digest.Status.SENT, Digest.Status.EMPTY, Digest.Status.SENDING],
            ).values_list("member_id", "period")
        }
        todo = [m for m in members.values() if (m.pk, periods[m.pk]) not in done]
        contents = build(todo, _since(todo, now), now, shared=shared)
        for member in todo:
            content = contents[member.pk]
            subject = "-" if content.is_empty() else subject_for(content)
            report.planned.append((member.email, subject))
        return
    Digest.objects.bulk_create(
        [Digest(member_id=pk, period=period) for pk, period in periods.items()],
        ignore_conflicts=True,
    )
    claim = uuid.uuid4().hex
    claimable = [
        pk
        for pk, member_id, period, status, attempts in Digest.objects.filter(
            member__in=list(members)
        )
        .filter(status__in=[Digest.Status.PENDING, Digest.Status.FAILED])
        .values_list("pk", "member_id", "period", "status", "attempts")
        if periods[member_id] == period
        and (status == Digest.Status.PENDING or attempts < MAX_ATTEMPTS)
    ]
    # The claim is a conditional update: of two overlapping runs, one wins each row.
    Digest.objects.filter(
        pk__in=claimable, status__in=[Digest.Status.PENDING, Digest.Status.FAILED]
    ).update(status=Digest.Status.SENDING, claim=claim)
    claimed = {
        d.member_id: d
        for d in Digest.objects.filter(claim=claim, status=Digest.Status.SENDING).only(
            "pk", "member_id", "period", "attempts"
        )
    }
    todo = [members[pk] for pk in claimed]
    contents = build(todo, _since(todo, now), now, shared=shared)
    _deliver(todo, claimed, contents, now, report)


def _deliver(todo, claimed, contents, now, report) -> None:
    """Send the claimed digests over one connection and record each outcome."""
    outcome: dict[int, tuple[str, str]] = {}
    messages = {}
    fragments: dict = {}
    for member in todo:
        content = contents[member.pk]
        if content.is_empty():
            outcome[member.pk] = (Digest.Status.EMPTY, "")
        else:
            messages[member.pk] = render_message(content, fragments)
    attempted: set[int] = set()
    try:
        if messages:
            _send_over_one_connection(list(messages.items()), outcome, attempted)
    finally:
        # Even when the run dies (an interrupt), record what is known: sent ones stay
        # sent, untried ones go back to pending; the one in flight stays "sending" and
        # is never resent automatically (at most once).
        rows = []
        for member in todo:
            digest = claimed[member.pk]
            status, error = outcome.get(member.pk, (None, ""))
            if status is None:
                if member.pk in attempted:
                    report.unknown += 1
                    continue
                status = Digest.Status.PENDING
            row = Digest(
                member_id=member.pk,
                period=digest.period,
                status=status,
                last_error=error,
                claim="",
                attempts=digest.attempts + (status in (Digest.Status.SENT, Digest.Status.FAILED)),
                created_at=now,
            )
            if status in (Digest.Status.SENT, Digest.Status.EMPTY):
                content = contents[member.pk]
                row.since, row.until = content.since, content.until
                row.sent_at = now if status == Digest.Status.SENT else None
            if status == Digest.Status.SENT:
                row.subject = messages[member.pk].subject[:300]
                report.sent += 1
            elif status == Digest.Status.EMPTY:
                report.empty += 1
            elif status == Digest.Status.FAILED:
                report.failed += 1
            rows.append(row)
        # One statement for the whole batch: an upsert on (member, period).
        Digest.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["member", "period"],
            update_fields=[
                "status",
                "last_error",
                "claim",
                "attempts",
                "since",
                "until",
                "sent_at",
                "subject",
            ],
        )


def _send_over_one_connection(chunk, outcome, attempted) -> None:
    """Send `chunk` ((member id, message) pairs) over one connection, noting each outcome."""
    try:
        connection = mailers.default
        connection.open()
    except Exception as error:  # the server is down: every message is retried next run
        for pk, _message in chunk:
            outcome[pk] = (Digest.Status.FAILED, _error(error))
        return
    try:
        for pk, message in chunk:
            attempted.add(pk)
            try:
                connection.send_messages([message])
            except Exception as error:
                outcome[pk] = (Digest.Status.FAILED, _error(error))
            else:
                outcome[pk] = (Digest.Status.SENT, "")
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Could not close the mail connection", exc_info=True)


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def run(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    progress: Callable[[RunReport], None] | None = None,
    shard: tuple[int, int] = (0, 1),
) -> RunReport:
    """Send every digest due at `now` (and retry failed ones); return what happened.

    `shard` (index, count) takes only members whose id % count == index, so that
    several processes can share a large run; each digest is claimed by one of them.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.DIGEST_BATCH_SIZE
    report = RunReport()
    due = list(_candidates(now, shard))
    # Failed digests of earlier periods are retried too, with their own period key.
    seen = {member.pk for member, _period in due}
    failed = Digest.objects.filter(status=Digest.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
    if shard[1] > 1:
        failed = failed.alias(shard=F("member_id") % shard[1]).filter(shard=shard[0])
    for digest in (
        failed.exclude(member__in=seen)
        .select_related("member")
        .only("period", *(f"member__{name}" for name in MEMBER_FIELDS))
    ):
        if digest.member.is_active:
            due.append((digest.member, digest.period))
    report.due = len(due)
    shared: dict = {}
    for start in range(0, len(due), batch_size):
        send_batch(due[start : start + batch_size], now, report, dry_run=dry_run, shared=shared)
        if progress is not None:
            progress(report)
    return report
