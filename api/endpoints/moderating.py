"""The moderation queue through the API: scope `moderate`, which needs MFA."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query

from api import auth, presenters
from api.endpoints.common import ObjectId, router
from api.idempotency import IdempotencyKeyHeader, run_once
from api.paging import LIMIT_DEFAULT, LIMIT_MAX, NUMBER_PATTERN, number, page
from api.problems import READ_ERRORS, WRITE_ERRORS, documented
from api.schemas import DecisionOut, EditApproveIn, RejectIn, RejectOtherIn, ReviewList, ReviewOut
from forum import visibility
from forum.actions import moderation as actions
from forum.models import Review


def _queue(viewer, group=None):
    return (
        visibility.review_queue(viewer, group)
        .select_related("post__thread__group", "post__thread__author")
        .prefetch_related("post__thread__tags")
    )


def _review_out(review: Review) -> dict:
    return presenters.review(review, presenters.thread(review.post.thread))


def _decision(review: Review) -> dict:
    review.refresh_from_db(fields=["state"])
    return {
        "review": review.pk,
        "state": review.state,
        "approvals": review.approvals.count(),
        "approvals_required": review.group.approvals_required,
    }


@router.get(
    "/moderation/queue",
    auth=auth.moderate,
    response={200: ReviewList, **documented(*READ_ERRORS)},
    tags=["moderation"],
    summary="Posts and edits waiting for review, oldest first",
)
def list_queue(
    request: HttpRequest,
    group: str | None = Query(
        None, pattern=r"^[-a-zA-Z0-9_]{1,50}$", description="Only this group's (its slug)."
    ),
    limit: int = Query(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description=f"At most {LIMIT_MAX}."),
    cursor: str | None = Query(None, pattern=NUMBER_PATTERN),
):
    viewer = request.auth
    chosen = visibility.get_group_or_404(viewer, group) if group else None
    reviews = _queue(viewer, chosen).order_by("pk")
    if cursor:
        reviews = reviews.filter(pk__gt=number(cursor))
    items, next_cursor = page(reviews, limit, lambda r: str(r.pk))
    return {"items": [_review_out(r) for r in items], "next_cursor": next_cursor}


@router.get(
    "/moderation/reviews/{pk}",
    auth=auth.moderate,
    response={200: ReviewOut, **documented(*READ_ERRORS)},
    tags=["moderation"],
    summary="One open review",
)
def get_review(request: HttpRequest, pk: ObjectId):
    return _review_out(visibility.get_review_or_404(request.auth, pk))


@router.post(
    "/moderation/reviews/{pk}/approve",
    auth=auth.moderate,
    response={200: DecisionOut, **documented(*WRITE_ERRORS)},
    tags=["moderation"],
    summary="Approve (with four-eyes, the second approval publishes)",
)
def approve(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    review = visibility.get_review_or_404(viewer, pk)

    def write() -> dict:
        return _decision(actions.approve(moderator=viewer, review=review))

    return run_once(request, response, idempotency_key, DecisionOut, 200, write)


@router.post(
    "/moderation/reviews/{pk}/reject",
    auth=auth.moderate,
    response={200: DecisionOut, **documented(*WRITE_ERRORS)},
    tags=["moderation"],
    summary="Reject with a reason (a note is required for `other`)",
)
def reject(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    data: RejectIn | RejectOtherIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    review = visibility.get_review_or_404(viewer, pk)

    def write() -> dict:
        decided = actions.reject(
            moderator=viewer, review=review, reason=data.reason, note=data.note
        )
        return _decision(decided)

    return run_once(request, response, idempotency_key, DecisionOut, 200, write)


@router.post(
    "/moderation/reviews/{pk}/edit-approve",
    auth=auth.moderate,
    response={200: DecisionOut, **documented(*WRITE_ERRORS)},
    tags=["moderation"],
    summary="Correct the text and approve it; the author is told what changed",
)
def edit_and_approve(
    request: HttpRequest,
    response: HttpResponse,
    pk: ObjectId,
    data: EditApproveIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    viewer = request.auth
    review = visibility.get_review_or_404(viewer, pk)

    def write() -> dict:
        decided = actions.edit_and_approve(
            moderator=viewer, review=review, body=data.body, title=data.title
        )
        return _decision(decided)

    return run_once(request, response, idempotency_key, DecisionOut, 200, write)
