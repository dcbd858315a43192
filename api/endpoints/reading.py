"""Reads: my groups, a group's threads, a thread's posts, meetings, transcripts, inbox."""

from __future__ import annotations

from typing import Annotated, Literal

from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import HttpRequest
from ninja import Query

from api import auth, presenters
from api.endpoints.common import DateTimeText, ObjectId, Slug, parse_time, router
from api.paging import (
    LIMIT_DEFAULT,
    LIMIT_MAX,
    NUMBER_PATTERN,
    PATH_PATTERN,
    TIME_PATTERN,
    number,
    page,
    time_and_id,
    time_cursor,
)
from api.problems import READ_ERRORS, documented
from api.schemas import (
    CountryCode,
    GroupList,
    MeetingList,
    MeetingOut,
    NotificationList,
    PostOut,
    ThreadList,
    ThreadPage,
    Transcript,
)
from forum import inbox, visibility
from forum.models import ChatMessage, Membership, Tag, Thread

TAG_PATTERN = r"^[^\x00-\x1f\x7f]{1,40}$"


def limit_param():
    return Query(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description=f"At most {LIMIT_MAX}.")


def cursor_param(pattern: str):
    return Query(None, pattern=pattern, description="`next_cursor` of the previous page.")


@router.get(
    "/groups",
    auth=auth.read,
    response={200: GroupList, **documented(*READ_ERRORS)},
    tags=["groups"],
    summary="My working groups",
)
def list_groups(
    request: HttpRequest,
    limit: int = limit_param(),
    cursor: str | None = cursor_param(NUMBER_PATTERN),
):
    viewer = request.auth
    my_role = Membership.objects.filter(group=OuterRef("pk"), member=viewer).values("role")[:1]
    groups = visibility.visible_groups(viewer).annotate(my_role=Subquery(my_role)).order_by("pk")
    if cursor:
        groups = groups.filter(pk__gt=number(cursor))
    items, next_cursor = page(groups, limit, lambda g: str(g.pk))
    return {"items": [presenters.group(g, g.my_role) for g in items], "next_cursor": next_cursor}


def _threads_with_details(threads):
    return threads.select_related("group", "author").prefetch_related("countries", "tags")


@router.get(
    "/groups/{slug}/threads",
    auth=auth.read,
    response={200: ThreadList, **documented(*READ_ERRORS)},
    tags=["threads"],
    summary="A group's threads, latest activity first",
)
def list_threads(
    request: HttpRequest,
    slug: Slug,
    tag: Annotated[
        str | None, Query(pattern=TAG_PATTERN, description="A topic or country tag.")
    ] = None,
    country: Annotated[
        CountryCode | None, Query(description="Threads tagged with this country.")
    ] = None,
    updated_since: DateTimeText = None,
    limit: int = limit_param(),
    cursor: str | None = cursor_param(TIME_PATTERN),
):
    viewer = request.auth
    group = visibility.get_group_or_404(viewer, slug)
    threads = _threads_with_details(visibility.visible_threads(viewer, group)).order_by(
        "-last_activity_at", "-pk"
    )
    if tag:
        tagged = Thread.tags.through.objects.filter(thread=OuterRef("pk"), tag__name=tag)
        threads = threads.filter(Exists(tagged))
    if country:
        tagged = Thread.tags.through.objects.filter(
            thread=OuterRef("pk"), tag__kind=Tag.Kind.COUNTRY, tag__name=country
        )
        threads = threads.filter(Exists(tagged))
    if updated_since is not None:
        threads = threads.filter(last_activity_at__gte=parse_time(updated_since, "updated_since"))
    if cursor:
        moment, pk = time_and_id(cursor)
        threads = threads.filter(
            Q(last_activity_at__lt=moment) | Q(last_activity_at=moment, pk__lt=pk)
        )
    items, next_cursor = page(threads, limit, lambda t: time_cursor(t.last_activity_at, t.pk))
    return {"items": [presenters.thread(t) for t in items], "next_cursor": next_cursor}


def thread_page(viewer, pk: int, *, view: str, limit: int, cursor: str | None) -> dict:
    """A thread and one page of the posts `viewer` may see, in tree or flat order."""
    thread = visibility.get_thread_for_page_or_404(viewer, pk)
    moderator = visibility.can_moderate(viewer, thread.group)
    posts = visibility.visible_posts(viewer, thread, moderator=moderator).select_related("author")
    if view == "tree":
        posts = posts.order_by("path")
        if cursor:
            posts = posts.filter(path__gt=cursor)
        items, next_cursor = page(posts, limit, lambda p: p.path)
    else:
        posts = posts.order_by("number")
        if cursor:
            posts = posts.filter(number__gt=min(number(cursor[:19]), 2**31 - 1))
        items, next_cursor = page(posts, limit, lambda p: str(p.number))
    shown = [presenters.post(p, show_removed_text=moderator) for p in items]
    thread = _threads_with_details(Thread.objects.filter(pk=thread.pk)).get()
    return {
        "thread": presenters.thread(thread),
        "view": view,
        "posts": presenters.nest(shown) if view == "tree" else shown,
        "next_cursor": next_cursor,
    }


@router.get(
    "/threads/{pk}",
    auth=auth.read,
    response={200: ThreadPage, **documented(*READ_ERRORS)},
    tags=["threads"],
    summary="A thread with its posts, as a tree or flat",
)
def get_thread(
    request: HttpRequest,
    pk: ObjectId,
    view: Literal["tree", "flat"] = Query(
        "tree",
        description="tree: in reply order, nested under their parent on the same page; "
        "flat: by number.",
    ),
    limit: int = limit_param(),
    cursor: str | None = cursor_param(PATH_PATTERN),
):
    return thread_page(request.auth, pk, view=view, limit=limit, cursor=cursor)


@router.get(
    "/posts/{pk}",
    auth=auth.read,
    response={200: PostOut, **documented(*READ_ERRORS)},
    tags=["threads"],
    summary="One post",
)
def get_post(request: HttpRequest, pk: ObjectId):
    viewer = request.auth
    post = visibility.get_post_or_404(viewer, pk)
    return presenters.post(
        post, show_removed_text=visibility.can_moderate(viewer, post.thread.group)
    )


def _meeting_out(viewer, meeting) -> dict:
    minutes = meeting.minutes_thread_id
    if minutes is not None and not visibility.visible_thread_ids(viewer, [minutes]):
        minutes = None
    return presenters.meeting(meeting, minutes_thread=minutes)


@router.get(
    "/groups/{slug}/meetings",
    auth=auth.read,
    response={200: MeetingList, **documented(*READ_ERRORS)},
    tags=["meetings"],
    summary="A group's meetings, by start time",
)
def list_meetings(
    request: HttpRequest,
    slug: Slug,
    limit: int = limit_param(),
    cursor: str | None = cursor_param(TIME_PATTERN),
):
    viewer = request.auth
    group = visibility.get_group_or_404(viewer, slug)
    meetings = visibility.visible_meetings(viewer, group).order_by("starts_at", "pk")
    if cursor:
        moment, pk = time_and_id(cursor)
        meetings = meetings.filter(Q(starts_at__gt=moment) | Q(starts_at=moment, pk__gt=pk))
    items, next_cursor = page(meetings, limit, lambda m: time_cursor(m.starts_at, m.pk))
    return {"items": [_meeting_out(viewer, m) for m in items], "next_cursor": next_cursor}


@router.get(
    "/meetings/{pk}",
    auth=auth.read,
    response={200: MeetingOut, **documented(*READ_ERRORS)},
    tags=["meetings"],
    summary="A meeting",
)
def get_meeting(request: HttpRequest, pk: ObjectId):
    viewer = request.auth
    return _meeting_out(viewer, visibility.get_meeting_or_404(viewer, pk))


@router.get(
    "/meetings/{pk}/transcript",
    auth=auth.read,
    response={200: Transcript, **documented(*READ_ERRORS)},
    tags=["meetings"],
    summary="A meeting's chat transcript, in order",
)
def get_transcript(
    request: HttpRequest,
    pk: ObjectId,
    limit: int = limit_param(),
    cursor: str | None = cursor_param(NUMBER_PATTERN),
):
    viewer = request.auth
    meeting = visibility.get_meeting_or_404(viewer, pk)
    messages = (
        ChatMessage.objects.filter(meeting=meeting, seq__isnull=False)
        .select_related("author")
        .order_by("seq")
    )
    if cursor:
        messages = messages.filter(seq__gt=number(cursor))
    items, next_cursor = page(messages, limit, lambda m: str(m.seq))
    return {
        "meeting": _meeting_out(viewer, meeting),
        "items": [presenters.chat_message(m) for m in items],
        "next_cursor": next_cursor,
    }


@router.get(
    "/inbox",
    auth=auth.read,
    response={200: NotificationList, **documented(*READ_ERRORS)},
    tags=["inbox"],
    summary="My notifications, newest first",
)
def list_inbox(
    request: HttpRequest,
    unread: bool = Query(False, description="Only unread notifications still available."),
    limit: int = limit_param(),
    cursor: str | None = cursor_param(NUMBER_PATTERN),
):
    viewer = request.auth
    notifications = inbox.notifications_for(viewer).order_by("-pk")
    if unread:
        notifications = notifications.filter(read_at__isnull=True, available=True)
    if cursor:
        notifications = notifications.filter(pk__lt=number(cursor))
    items, next_cursor = page(notifications, limit, lambda n: str(n.pk))
    return {
        "items": [presenters.notification(i) for i in inbox.items(viewer, items)],
        "next_cursor": next_cursor,
    }
