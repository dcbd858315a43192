"""Starting threads, replying, editing, and the moderators' thread and post actions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_countries import countries as all_countries

from accounts.models import Member
from attachments.actions import files as attachment_files
from attachments.actions import proposals
from forum import events, limits, rendering, tasks, visibility
from forum.actions import audit, notifications
from forum.models import (
    Approval,
    Audience,
    AudienceCountry,
    AuditAction,
    Event,
    Mention,
    Post,
    PostRevision,
    PostStatus,
    Report,
    Review,
    Tag,
    Thread,
    WorkingGroup,
)
from forum.models.groups import MODERATING_ROLES
from forum.models.threads import MAX_DEPTH, PATH_DIGITS
from search import index as search_index
from webhooks.actions import deliveries as webhook_deliveries


def _segment(number: int) -> str:
    if number >= 10**PATH_DIGITS:
        raise ValidationError(_("This thread is full; please start a new one."))
    return f"{number:0{PATH_DIGITS}d}"


def _initial_status(author: Member, group: WorkingGroup, countries: list[str] | None) -> str:
    """Pending when the group's policy wants a moderator to look first, else published."""
    if visibility.needs_review(author, group, countries):
        return PostStatus.PENDING
    return PostStatus.PUBLISHED


def _check_may_post(author: Member, group: WorkingGroup) -> None:
    """Refuse a muted member, with the moderator's reason and the end of the mute."""
    mute = visibility.active_mute(author, group)
    if mute is not None:
        raise ValidationError(
            _(
                "You are muted in this working group until %(until)s: %(reason)s. "
                "Your text has been kept."
            )
            # In the member's own zone and format (the middleware activated both).
            % {
                "until": formats.date_format(timezone.localtime(mute.until), "DATETIME_FORMAT"),
                "reason": mute.reason,
            },
            code="muted",
        )


def _check_slow_mode(author: Member, thread: Thread, now) -> None:
    if not thread.slow_mode_seconds or visibility.can_moderate(author, thread.group):
        return
    last = (
        Post.objects.filter(thread=thread, author=author)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return
    wait = thread.slow_mode_seconds - int((now - last).total_seconds())
    if wait > 0:
        raise ValidationError(
            _(
                "Slow mode is on in this thread: one post every %(interval)d seconds. "
                "You can post again in %(wait)d seconds; your text has been kept."
            )
            % {"interval": thread.slow_mode_seconds, "wait": wait},
            code="slow_mode",
        )


def render_body(thread: Thread, body: str, writer: Member) -> tuple[str, list[Member]]:
    """Render `body`, linking @handles of members who may see `thread` and whom
    `writer` may see: typing a handle never reveals, by a link or a notification,
    a member the writer could not find in a member list."""
    handles = rendering.mentioned_handles(body)
    mentioned = list(visibility.members_who_see(thread, handles, writer)) if handles else []
    links = {m.handle: reverse("profile", args=[m.handle]) for m in mentioned}
    html = rendering.render_markdown(body, mentions=links)
    # A handle inside code stays text: only linked members count as mentioned.
    return html, [m for m in mentioned if f'href="{links[m.handle]}"' in html]


def emit(
    thread: Thread,
    type_: str,
    payload: dict,
    *,
    status: str = PostStatus.PUBLISHED,
    author_id: int | None = None,
    group_id: int | None = None,
    post_id: int | None = None,
    notify: bool = False,
) -> Event:
    """Log an event for the thread's group, to be published when the transaction commits.

    `notify` marks a post's publication, whose notifications are derived after commit.
    """
    return events.record(
        stream_key=events.group_stream(group_id or thread.group_id),
        type_=type_,
        payload=payload,
        audience=visibility.thread_audience(thread, status=status, author_id=author_id),
        post_id=post_id,
        thread_id=thread.pk,
        notify_pending=notify,
    )


def emit_thread(thread: Thread, *, group_id: int | None = None, moved: bool = False) -> None:
    """Log `thread.updated` for whoever may see the thread: while its opening post
    waits for review (or was rejected), only moderators and the author.

    `moved` logs `thread.moved` instead, which names the thread's id and nothing else
    (for the group it left: its readers drop it without learning where it went).
    """
    opening = Post.objects.filter(thread=thread, number=1).values("status", "author_id").first()
    emit(
        thread,
        events.THREAD_MOVED if moved else events.THREAD_UPDATED,
        {"id": thread.pk} if moved else events.thread_payload(thread),
        status=opening["status"] if opening else PostStatus.PUBLISHED,
        author_id=opening["author_id"] if opening else None,
        group_id=group_id,
    )


def emit_post(thread: Thread, type_: str, post: Post) -> None:
    """Log a post event for the post's audience (its status decides who receives it)."""
    emit(
        thread,
        type_,
        events.post_payload(post),
        status=post.status,
        author_id=post.author_id,
        post_id=post.pk,
    )


def _record_mentions(post: Post, mentioned: list[Member]) -> None:
    Mention.objects.bulk_create(
        [Mention(post=post, member=m) for m in mentioned if m.pk != post.author_id],
        ignore_conflicts=True,
    )


def _clean_countries(codes: Iterable[str]) -> list[str]:
    valid = {code for code, _name in all_countries}
    cleaned = sorted({code.upper() for code in codes})
    unknown = [code for code in cleaned if code not in valid]
    if unknown:
        raise ValidationError(_("Unknown country: %(codes)s") % {"codes": ", ".join(unknown)})
    return cleaned


def _check_tags(group: WorkingGroup, topics: list[Tag], countries: list[str]) -> None:
    """Refuse more than TAGS_MAX tags in all, or a topic of another group; write nothing."""
    if len(topics) + len(countries) > limits.TAGS_MAX:
        raise ValidationError(_("At most %(max)d tags per thread.") % {"max": limits.TAGS_MAX})
    for tag in topics:
        if tag.kind != Tag.Kind.TOPIC or tag.group_id != group.pk:
            raise ValidationError(_("That tag belongs to another working group."))


def _topic_tags(group: WorkingGroup, names: Iterable[str]) -> list[Tag]:
    """Return the group's existing topic tags called `names` (new ones: set_tags)."""
    names = sorted({" ".join(name.split()) for name in names if name.strip()})
    tags = list(Tag.objects.filter(group=group, kind=Tag.Kind.TOPIC, name__in=names))
    unknown = sorted(set(names) - {tag.name for tag in tags})
    if unknown:
        raise ValidationError(
            _("No such topic in this working group: %(names)s") % {"names": ", ".join(unknown)}
        )
    return tags


def _country_tags(codes: Iterable[str]) -> list[Tag]:
    """Return the shared country tags for ISO `codes`, creating missing ones: call it
    inside the writing transaction, once every check has passed."""
    return [
        Tag.objects.get_or_create(group=None, kind=Tag.Kind.COUNTRY, name=code)[0]
        for code in _clean_countries(codes)
    ]


def thread_audience_countries(
    *, author: Member, audience: str, countries: Iterable[str] = ()
) -> list[str]:
    """Return the audience countries of a thread `author` starts with `audience` (none
    for the whole group); refuse an unknown audience or country."""
    if audience == Audience.DOMESTIC:
        return [author.country.code]
    if audience == Audience.COUNTRIES:
        chosen = _clean_countries(countries)
        if not chosen:
            raise ValidationError(_("Choose at least one country for the audience."))
        # The author always reads their own thread.
        return sorted(set(chosen) | {author.country.code})
    if audience == Audience.GROUP:
        return []
    raise ValidationError(_("Unknown audience."))


def create_thread(
    *,
    author: Member,
    group: WorkingGroup,
    title: str,
    body: str,
    audience: str = Audience.GROUP,
    countries: Iterable[str] = (),
    topics: Iterable[str] = (),
    country_tags: Iterable[str] = (),
) -> Thread:
    """Start a thread with its opening post; audience GROUP, DOMESTIC or COUNTRIES.

    `topics` names the group's topic tags, `country_tags` the ISO codes it is about.
    """
    if not visibility.can_start_thread(author, group):
        raise PermissionDenied(_("Only members of this working group can start threads here."))
    title = limits.check_title(title)
    body = limits.check_body(body)
    topic_tags = _topic_tags(group, topics)
    tag_codes = _clean_countries(country_tags)
    _check_tags(group, topic_tags, tag_codes)
    audience_countries = thread_audience_countries(
        author=author, audience=audience, countries=countries
    )
    _check_may_post(author, group)
    limits.check_posting_rate(author)
    status = _initial_status(author, group, audience_countries or None)
    now = timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            group=group,
            title=title,
            author=author,
            audience=audience,
            created_at=now,
            last_activity_at=now,
            post_counter=1,
        )
        AudienceCountry.objects.bulk_create(
            [AudienceCountry(thread=thread, country=code) for code in audience_countries]
        )
        if topic_tags or tag_codes:
            thread.tags.set(topic_tags + _country_tags(tag_codes))
        html, mentioned = render_body(thread, body, author)
        post = Post.objects.create(
            thread=thread,
            author=author,
            number=1,
            depth=0,
            path=_segment(1),
            status=status,
            body_source=body,
            body_html=html,
            created_at=now,
        )
        search_index.index_thread(thread, opening_status=status, new=True)
        search_index.index_post(post, new=True)
        _announce(
            post,
            thread,
            mentioned,
            events.THREAD_CREATED,
            {**events.thread_payload(thread), "post": events.post_payload(post)},
        )
    return thread


def _announce(
    post: Post, thread: Thread, mentioned: list[Member], type_: str, payload: dict
) -> None:
    """Tell who may know of a new post: the moderators while it waits for review,
    otherwise its audience (live); its mentions and watchers hear of it after commit."""
    notifications.watch_automatically(member=post.author, thread=thread)
    if post.status == PostStatus.PENDING:
        _submit_for_review(post, thread)
    else:
        _record_mentions(post, mentioned)
        published = post.status == PostStatus.PUBLISHED
        event = emit(
            thread, type_, payload, author_id=post.author_id, post_id=post.pk, notify=published
        )
        if published:
            _notify_after_commit(event)
            webhook_deliveries.post_published(post=post, thread=thread, event=event)


def _notify_after_commit(event: Event) -> None:
    """Derive the post's notifications once its transaction commits, in the background.

    The write stays the same size however many members watch the thread; if the
    task is lost, `send_notifications` catches up from the event's `notify_pending`.
    """
    transaction.on_commit(lambda: tasks.derive_notifications.enqueue(event.pk), robust=True)


def _submit_for_review(post: Post, thread: Thread, *, edit: Review | None = None) -> Review:
    """Queue a new post (or a proposed edit) and tell the group's moderators live."""
    if edit is None:
        review = Review.objects.create(
            post=post, group_id=thread.group_id, submitted_at=post.created_at
        )
        html = post.body_html
    else:
        review, html = edit, edit.body_html
    data = {**events.post_payload(post), "html": html, "review": review.pk}
    data["edit"] = review.kind == Review.Kind.EDIT
    if post.is_opening:
        data["new_thread"] = events.thread_payload(thread)
    emit(
        thread,
        events.POST_PENDING,
        data,
        status=PostStatus.PENDING,
        author_id=post.author_id,
        post_id=post.pk if edit is None else None,
    )
    return review


def reply(*, author: Member, parent: Post, body: str) -> Post:
    """Answer `parent`; the reply sits under it in the tree (flat beyond MAX_DEPTH)."""
    thread = parent.thread
    if not visibility.can_view_thread(author, thread):
        raise PermissionDenied(_("You cannot reply in this thread."))
    role = visibility.role_in(author, thread.group)
    moderator = author.is_staff or role in MODERATING_ROLES  # as can_moderate, same query
    if (
        not visibility.visible_posts(author, thread, moderator=moderator)
        .filter(pk=parent.pk)
        .exists()
    ):
        raise PermissionDenied(_("You cannot reply to that post."))
    if parent.status != PostStatus.PUBLISHED and not (
        parent.is_opening and parent.status == PostStatus.REMOVED
    ):
        # A removed opening post still takes thread-level replies; other hidden posts don't.
        raise ValidationError(_("That post is not published; reply to another one."))
    body = limits.check_body(body)
    _check_may_post(author, thread.group)
    _check_slow_mode(author, thread, timezone.now())
    limits.check_posting_rate(author)
    status = _initial_status(author, thread.group, visibility.thread_countries(thread))
    # Render before the transaction: no lock is held while Markdown runs.
    html, mentioned = render_body(thread, body, author)
    now = timezone.now()
    with transaction.atomic():
        number = _take_number(
            thread, published=status == PostStatus.PUBLISHED, bypass_lock=moderator, now=now
        )
        if parent.depth >= MAX_DEPTH:
            # Too deep to indent further: show as a sibling of the parent, in time order.
            depth = MAX_DEPTH
            path = parent.path[: PATH_DIGITS * MAX_DEPTH] + _segment(number)
        else:
            depth = parent.depth + 1
            path = parent.path + _segment(number)
        post = Post.objects.create(
            thread=thread,
            author=author,
            parent=parent,
            number=number,
            depth=depth,
            path=path,
            status=status,
            body_source=body,
            body_html=html,
            created_at=now,
        )
        search_index.index_post(post, new=True)
        _announce(post, thread, mentioned, events.POST_CREATED, events.post_payload(post))
    return post


def lock_thread(thread: Thread) -> None:
    """Lock `thread`'s row for this transaction and refresh where it lives now.

    A move may have committed since `thread` was loaded: events logged after this
    must go to its current group. Lock order everywhere: thread, then post.
    """
    group_id = (
        Thread.objects.select_for_update().filter(pk=thread.pk).values_list("group_id", flat=True)
    ).first()
    if group_id is not None and group_id != thread.group_id:
        thread.group_id = group_id
        thread.group = WorkingGroup.objects.get(pk=group_id)


def _take_number(thread: Thread, *, published: bool, bypass_lock: bool, now) -> int:
    """Count a new post in `thread` and return its number: one statement.

    The thread's group comes back with it (into `thread.group_id`): a move that
    committed while this waited for the row must send the post's event to the new
    group, never to the one the thread left.

    The row stays locked until commit, so numbers never repeat; the statement is the
    transaction's first, and nothing slow (rendering, notifications) follows it.
    A locked thread refuses, unless `bypass_lock` (moderators).
    """
    table = connection.ops.quote_name(Thread._meta.db_table)
    sets = ["post_counter = post_counter + 1"]
    params: list = []
    if published:
        sets += ["reply_count = reply_count + 1", "last_activity_at = %s"]
        params.append(connection.ops.adapt_datetimefield_value(now))
    where = "id = %s" if bypass_lock else "id = %s AND NOT locked"
    params.append(thread.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} WHERE {where} "  # noqa: S608 - our names
            "RETURNING post_counter, group_id",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        raise PermissionDenied(_("This thread is locked: no new replies."))
    number, group_id = row
    if group_id != thread.group_id:
        thread.group_id = group_id
        thread.group = WorkingGroup.objects.get(pk=group_id)
    return number


def quote_source(post: Post) -> str:
    """Return Markdown that quotes `post`, with a link back to it."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body_source.splitlines())
    link = reverse("post", args=[post.pk])
    return (
        _("%(name)s [wrote](%(link)s):") % {"name": post.author.display_name, "link": link}
        + f"\n{quoted}\n\n"
    )


def edit_post(
    *,
    editor: Member,
    post: Post,
    body: str,
    title: str | None = None,
    add_files: Sequence = (),
    drop_files: Iterable[int] = (),
) -> Post:
    """Change a post's text (and the thread title, for an opening post), keeping a revision.

    When the editor's posts need review, an edit of a published post is proposed
    instead: the approved text stays visible until a moderator approves the edit.
    An edit of a rejected post resubmits it. Files (`add_files`: the editor's uploads,
    `drop_files`: ids of the post's files) follow the text: attached at once, or
    proposed on the review (attachments.actions.proposals).
    """
    if not visibility.can_edit_post(editor, post):
        raise PermissionDenied(_("You can only edit your own posts."))
    body = limits.check_body(body)
    thread = post.thread
    new_title = limits.check_title(title) if (title is not None and post.is_opening) else None
    moderator = visibility.can_moderate(editor, thread.group)
    resubmit = post.status == PostStatus.REJECTED and not moderator
    add_files, drop_files = list(add_files), list(drop_files)
    files_changed = bool(add_files or drop_files)
    unchanged = body == post.body_source and (new_title is None or new_title == thread.title)
    if unchanged and not files_changed and not resubmit:
        return post
    if not moderator:
        _check_may_post(editor, thread.group)
    limits.check_posting_rate(editor)
    countries = visibility.thread_countries(thread)
    if (
        post.status == PostStatus.PUBLISHED
        and not moderator
        and visibility.needs_review(editor, thread.group, countries)
    ):
        return _propose_edit(post, thread, body, new_title, editor, add_files, drop_files)
    if resubmit:
        next_status = _initial_status(editor, thread.group, countries)
    now = timezone.now()
    with transaction.atomic():
        # Lock order everywhere: thread, then post (avoids deadlocks with reply()).
        lock_thread(post.thread)
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if not unchanged or files_changed:
            if not unchanged:
                apply_edit(editor, locked, thread, body, new_title, now)
            if files_changed:
                attachment_files.attach(
                    member=editor, owner=locked, uploads=add_files, detach=drop_files
                )
            # A direct edit replaces any proposal: approving it later must not undo this one.
            _withdraw_edits(locked, editor, now)
        if resubmit and locked.status == PostStatus.REJECTED:
            if next_status == PostStatus.PENDING:
                locked.status = PostStatus.PENDING
                locked.save(update_fields=["status"])
                _submit_for_review(locked, thread)
            else:
                publish(locked, thread, now)
            return locked
        if locked.status == PostStatus.PENDING:
            # Approvals were given to the earlier text.
            Approval.objects.filter(review__post=locked, review__state=Review.State.OPEN).delete()
        emit(
            thread,
            events.POST_EDITED,
            events.post_payload(locked),
            status=locked.status,
            author_id=locked.author_id,
            post_id=locked.pk,
        )
    return locked


def apply_edit(
    editor: Member, post: Post, thread: Thread, body: str, new_title: str | None, now
) -> None:
    """Write an edit to a locked post: revision, text, title, mentions, logged copies."""
    PostRevision.objects.create(
        post=post,
        editor=editor,
        edited_at=now,
        title=thread.title if post.is_opening else "",
        body_source=post.body_source,
        body_html=post.body_html,
    )
    html, mentioned = render_body(thread, body, editor)
    post.body_source, post.body_html, post.edited_at = body, html, now
    post.save(update_fields=["body_source", "body_html", "edited_at"])
    search_index.index_post(post)
    if new_title is not None and new_title != thread.title:
        Thread.objects.filter(pk=thread.pk).update(title=new_title)
        thread.title = new_title
        search_index.index_thread(thread, opening_status=post.status)
        emit(
            thread,
            events.THREAD_UPDATED,
            events.thread_payload(thread),
            status=post.status,  # the opening post's: a pending thread stays hidden
            author_id=post.author_id,
        )
    if post.status == PostStatus.PUBLISHED:
        _record_mentions(post, mentioned)
    # Earlier logged copies now carry the new text: a replay never shows the old one.
    events.redact_post(post.pk, html)


def _withdraw_edits(post: Post, decider: Member, now) -> None:
    """Close the post's open proposed edit unapplied; its proposed files go with it."""
    for review in Review.objects.filter(post=post, kind=Review.Kind.EDIT, state=Review.State.OPEN):
        proposals.discard(review)
        review.state, review.decided_at, review.decided_by = Review.State.WITHDRAWN, now, decider
        review.save(update_fields=["state", "decided_at", "decided_by"])


def _propose_edit(
    post: Post,
    thread: Thread,
    body: str,
    new_title: str | None,
    editor: Member | None = None,
    add_files: Sequence = (),
    drop_files: Iterable[int] = (),
) -> Post:
    """Queue an edit of a published post; the post itself (text and files) does not
    change yet. A new proposal replaces the open one, text and files."""
    html, _mentioned = render_body(thread, body, editor or post.author)
    with transaction.atomic():
        lock_thread(thread)
        Post.objects.select_for_update().filter(pk=post.pk).first()
        review = Review.objects.filter(post=post, state=Review.State.OPEN).first()
        if review is None:
            review = Review(post=post, group_id=thread.group_id, kind=Review.Kind.EDIT)
        else:
            review.approvals.all().delete()
        review.title = new_title or ""
        review.body_source, review.body_html = body, html
        review.save()
        proposals.propose(
            member=editor or post.author,
            review=review,
            post=post,
            uploads=add_files,
            detach=drop_files,
        )
        _submit_for_review(post, thread, edit=review)
    return post


def publish(post: Post, thread: Thread, now, *, mentioned: list[Member] | None = None) -> None:
    """Make a locked pending or rejected post visible to its audience, and say so live."""
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    search_index.index_post(post)
    changes = {"last_activity_at": now}
    if not post.is_opening:
        changes["reply_count"] = F("reply_count") + 1
    Thread.objects.filter(pk=thread.pk).update(**changes)
    thread.refresh_from_db(fields=["reply_count", "last_activity_at", "title"])
    if post.is_opening:
        search_index.index_thread(thread, opening_status=post.status)
    if mentioned is None:
        mentioned = render_body(thread, post.body_source, post.author)[1]
    _record_mentions(post, mentioned)
    data = events.post_payload(post)
    if post.is_opening:
        data["new_thread"] = events.thread_payload(thread)
    event = emit(
        thread, events.POST_APPROVED, data, author_id=post.author_id, post_id=post.pk, notify=True
    )
    _notify_after_commit(event)
    webhook_deliveries.post_published(post=post, thread=thread, event=event)


def _check_moderator(member: Member, group: WorkingGroup) -> None:
    if not visibility.can_moderate(member, group):
        raise PermissionDenied(_("Only the group's moderators can do that."))


def remove_post(*, moderator: Member, post: Post, reason: str) -> Post:
    """Hide a post from readers; its text stays for the audit trail."""
    _check_moderator(moderator, post.thread.group)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason for removing the post."))
    if len(reason) > limits.REASON_MAX:
        raise ValidationError(
            _("A reason can be at most %(max)d characters.") % {"max": limits.REASON_MAX}
        )
    with transaction.atomic():
        lock_thread(post.thread)
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.status == PostStatus.REMOVED:
            return locked
        if locked.status != PostStatus.PUBLISHED:
            raise ValidationError(
                _("This post is not published: reject it from the review queue instead.")
            )
        was_counted = not locked.is_opening
        locked.status = PostStatus.REMOVED
        locked.removed_at, locked.removed_by, locked.removed_reason = (
            timezone.now(),
            moderator,
            reason,
        )
        locked.save(update_fields=["status", "removed_at", "removed_by", "removed_reason"])
        search_index.index_post(locked)
        if was_counted:
            Thread.objects.filter(pk=locked.thread_id).update(reply_count=F("reply_count") - 1)
        # A pending edit of a removed post has nothing left to change.
        _withdraw_edits(locked, moderator, timezone.now())
        Report.objects.filter(post=locked, state=Report.State.OPEN).update(
            state=Report.State.REMOVED,
            resolved_at=timezone.now(),
            resolved_by=moderator,
            note=reason[:500],
        )
        audit.record(
            actor=moderator,
            group=post.thread.group,
            action=AuditAction.REMOVE,
            post=locked,
            member=locked.author,
            reason=reason,
        )
        # The text leaves the event log too, so no replay can bring it back.
        events.redact_post(locked.pk, "")
        emit(
            post.thread,
            events.POST_REMOVED,
            {"id": locked.pk, "thread": locked.thread_id, "number": locked.number},
            author_id=locked.author_id,
        )
        # The group's stream before the author's inbox (one lock order for every action).
        # About the thread, not the post: a removed post's text is readable by nobody.
        notifications.notify(
            recipient=locked.author,
            kind="moderation",
            actor=moderator,
            thread=post.thread,
            data={"outcome": "removed", "reason": reason, "number": locked.number},
        )
    return locked


def restore_post(*, moderator: Member, post: Post) -> Post:
    """Undo a removal."""
    _check_moderator(moderator, post.thread.group)
    with transaction.atomic():
        lock_thread(post.thread)
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.status != PostStatus.REMOVED:
            return locked
        locked.status = PostStatus.PUBLISHED
        locked.removed_at, locked.removed_by, locked.removed_reason = None, None, ""
        locked.save(update_fields=["status", "removed_at", "removed_by", "removed_reason"])
        search_index.index_post(locked)
        if not locked.is_opening:
            Thread.objects.filter(pk=locked.thread_id).update(reply_count=F("reply_count") + 1)
        locked.author = post.author
        audit.record(
            actor=moderator,
            group=post.thread.group,
            action=AuditAction.RESTORE,
            post=locked,
            member=locked.author,
        )
        emit(post.thread, events.POST_RESTORED, events.post_payload(locked), post_id=locked.pk)
    return locked


def _set_flag(moderator: Member, thread: Thread, action: str, **flag: bool) -> Thread:
    _check_moderator(moderator, thread.group)
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(**flag)
        for name, value in flag.items():
            setattr(thread, name, value)
        audit.record(
            actor=moderator, group=thread.group, action=action, thread_id=thread.pk, details=flag
        )
        emit_thread(thread)
    return thread


def set_pinned(*, moderator: Member, thread: Thread, pinned: bool) -> Thread:
    """Pin a thread to the top of its group's list, or unpin it."""
    return _set_flag(moderator, thread, AuditAction.PIN, pinned=pinned)


def set_locked(*, moderator: Member, thread: Thread, locked: bool) -> Thread:
    """Lock a thread against new replies (moderators still reply), or unlock it."""
    return _set_flag(moderator, thread, AuditAction.LOCK, locked=locked)


def move_thread(*, moderator: Member, thread: Thread, group: WorkingGroup) -> Thread:
    """Move a thread to another group the moderator also moderates; topic tags stay behind."""
    _check_moderator(moderator, thread.group)
    _check_moderator(moderator, group)
    if group.pk == thread.group_id:
        return thread
    with transaction.atomic():
        # Lock the row and read where the thread is now: two moves at once go one after
        # the other, and the second forgets the thread in the group the first moved it to.
        current = Thread.objects.select_for_update().select_related("group").get(pk=thread.pk)
        if current.group_id == group.pk:
            return thread
        _check_moderator(moderator, current.group)
        old_group_id = current.group_id
        thread.group_id, thread.group = current.group_id, current.group
        Thread.objects.filter(pk=thread.pk).update(group=group)
        # Its pending posts and open reports move to the new group's queue.
        Review.objects.filter(post__thread=thread).update(group=group)
        Report.objects.filter(post__thread=thread).update(group=group)
        thread.tags.remove(*thread.tags.filter(kind=Tag.Kind.TOPIC))
        old_group, thread.group = thread.group, group
        for logged_in in (old_group, group):  # both groups' chairs see the move
            audit.record(
                actor=moderator,
                group=logged_in,
                action=AuditAction.MOVE,
                thread_id=thread.pk,
                details={"from": old_group.slug, "to": group.slug},
            )
        # Readers of the old group drop it, and its past leaves their log; readers of
        # the new one see it arrive. Streams are locked in id order so that two
        # opposite moves cannot deadlock.
        for group_id in sorted({old_group_id, group.pk}):
            if group_id == old_group_id:
                events.forget_thread(events.group_stream(old_group_id), thread.pk)
                emit_thread(thread, group_id=old_group_id, moved=True)
            else:
                emit_thread(thread, group_id=group_id)
    return thread


def set_tags(
    *, moderator: Member, thread: Thread, topics: Iterable[str], countries: Iterable[str]
) -> Thread:
    """Replace a thread's tags; new topic names become the group's tags."""
    _check_moderator(moderator, thread.group)
    names = sorted({" ".join(name.split())[:40] for name in topics if name.strip()})
    with transaction.atomic():
        topic_tags = [
            Tag.objects.get_or_create(
                group=thread.group,
                kind=Tag.Kind.TOPIC,
                name=name,
                defaults={"created_by": moderator},
            )[0]
            for name in names
        ]
        codes = _clean_countries(countries)
        _check_tags(thread.group, topic_tags, codes)
        thread.tags.set(topic_tags + _country_tags(codes))
    return thread


def set_thread_view(*, member: Member, view: str) -> None:
    if view in ("tree", "flat") and member.thread_view != view:
        member.thread_view = view
        member.save(update_fields=["thread_view"])
