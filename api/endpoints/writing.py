"""Writes through forum/actions/: new thread, reply, edit; each may carry an Idempotency-Key."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from api import auth, presenters
from api.endpoints.common import ObjectId, Slug, router
from api.endpoints.reading import thread_page
from api.idempotency import IdempotencyKeyHeader, run_once
from api.problems import WRITE_ERRORS, documented
from api.schemas import EditIn, EditOut, PostOut, ReplyIn, ThreadIn, ThreadPage
from forum import visibility
from forum.actions import threads as actions
from forum.models import Audience, Review


@router.post(
    "/groups/{slug}/threads",
    auth=auth.write,
    response={201: ThreadPage, **documented(*WRITE_ERRORS)},
    tags=["threads"],
    summary="Start a thread",
    description="A post whose author needs review waits in the moderation queue (status "
    "`pending`), exactly as on the site.",
)
def create_thread(
    request: HttpRequest,
    response: HttpResponse,
    slug: Slug,
    data: ThreadIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    group = visibility.get_group_or_404(viewer, slug)

    def write() -> dict:
        if isinstance(data.audience, list):
            audience, countries = Audience.COUNTRIES, data.audience
        else:
            audience, countries = data.audience, []
        thread = actions.create_thread(
            author=viewer,
            group=group,
            title=data.title,
            body=data.body,
            audience=audience,
            countries=countries,
            topics=data.topics,
            country_tags=data.country_tags,
        )
        return thread_page(viewer, thread.pk, view="flat", limit=1, cursor=None)

    return run_once(request, response, idempotency_key, ThreadPage, 201, write)


def _reply(request: HttpRequest, response: HttpResponse, parent, body: str, key: str | None):
    viewer = request.auth

    def write() -> dict:
        post = actions.reply(author=viewer, parent=parent, body=body)
        return presenters.post(post, show_removed_text=False)

    return run_once(request, response, key, PostOut, 201, write)


@router.post(
    "/threads/{pk}/posts",
    auth=auth.write,
    response={201: PostOut, **documented(*WRITE_ERRORS)},
    tags=["threads"],
    summary="Reply to a thread (to its opening post)",
)
def reply_to_thread(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    data: ReplyIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    thread = visibility.get_thread_for_page_or_404(viewer, pk)
    moderator = visibility.can_moderate(viewer, thread.group)
    opening = (
        visibility.visible_posts(viewer, thread, moderator=moderator)
        .filter(parent__isnull=True)
        .select_related("thread", "thread__group")
        .first()
    )
    if opening is None:
        raise Http404("No such thread.")
    return _reply(request, response, opening, data.body, idempotency_key)


@router.post(
    "/posts/{pk}/replies",
    auth=auth.write,
    response={201: PostOut, **documented(*WRITE_ERRORS)},
    tags=["threads"],
    summary="Reply to a post",
)
def reply_to_post(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    data: ReplyIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    parent = visibility.get_post_or_404(request.auth, pk)
    return _reply(request, response, parent, data.body, idempotency_key)


@router.patch(
    "/posts/{pk}",
    auth=auth.write,
    response={200: EditOut, **documented(*WRITE_ERRORS)},
    tags=["threads"],
    summary="Edit a post (and, for an opening post, its thread's title)",
    description="When your posts need review, the edit waits for a moderator "
    "(`review_pending`) and the post keeps its approved text until then.",
)
def edit_post(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    data: EditIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    post = visibility.get_post_or_404(viewer, pk)

    def write() -> dict:
        edited = actions.edit_post(editor=viewer, post=post, body=data.body, title=data.title)
        pending = Review.objects.filter(
            post=edited, kind=Review.Kind.EDIT, state=Review.State.OPEN
        ).exists()
        moderator = visibility.can_moderate(viewer, edited.thread.group)
        return {
            "post": presenters.post(edited, show_removed_text=moderator),
            "review_pending": pending,
        }

    return run_once(request, response, idempotency_key, EditOut, 200, write)
