"""Who may fetch which file. Every read path of a file asks this module.

A file is seen by whoever may see what it is attached to, as that owner kind's rule
says (attachments.owners); an upload not yet attached only by its uploader. Anything
else answers 404, exactly as a file that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from attachments import owners
from attachments.models import Attachment, ProposedRemoval
from forum import visibility
from forum.models import ChatMessage, Post, PostStatus, Review
from forum.prepared import PreparedQuery, padded


def _signed_in(viewer) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_active)


# --- the forum's owners ------------------------------------------------------------


def visible_posts_with_files(viewer) -> QuerySet[Post]:
    """Posts whose files `viewer` may fetch: the posts whose text they may read (a pending
    post: its author and the group's moderators). A removed or rejected post hides its
    files from everyone but the group's moderators, who keep the audit trail."""
    if not _signed_in(viewer):
        return Post.objects.none()
    readable = Q(pk__in=visibility.readable_posts(viewer).exclude(status=PostStatus.REJECTED))
    audited = Q(
        status__in=[PostStatus.REMOVED, PostStatus.REJECTED],
        thread__in=visibility.visible_threads(viewer),
        thread__group__in=visibility.moderated_groups(viewer),
    )
    return Post.objects.filter(readable | audited)


def removed_posts_before(cutoff: datetime) -> QuerySet[Post]:
    return Post.objects.filter(status=PostStatus.REMOVED, removed_at__lt=cutoff)


def visible_chat_with_files(viewer) -> QuerySet[ChatMessage]:
    """Chat messages whose files `viewer` may fetch: in meetings they may see, not removed
    (a removed message's files only the group's moderators)."""
    if not _signed_in(viewer):
        return ChatMessage.objects.none()
    in_sight = Q(meeting__in=visibility.visible_meetings(viewer))
    audited = Q(meeting__group__in=visibility.moderated_groups(viewer))
    return ChatMessage.objects.filter(in_sight & (Q(removed_at__isnull=True) | audited))


def removed_chat_before(cutoff: datetime) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(removed_at__lt=cutoff)


def visible_reviews_with_files(viewer) -> QuerySet[Review]:
    """Open edits whose proposed files `viewer` may fetch: those who see the proposed
    text, i.e. the post's author (while they may read the post) and the moderators whose
    queue holds the review. Once decided, a review keeps no files (approval moves them to
    the post, rejection makes them unattached uploads of their uploader)."""
    if not _signed_in(viewer):
        return Review.objects.none()
    own = Q(post__author=viewer, post__in=visibility.readable_posts(viewer))
    queued = Q(pk__in=visibility.review_queue(viewer).values("pk"))
    return Review.objects.filter(own | queued, state=Review.State.OPEN, kind=Review.Kind.EDIT)


def register_forum_owners() -> None:
    owners.register(owners.OwnerKind(model="forum.Review", visible=visible_reviews_with_files))
    owners.register(
        owners.OwnerKind(
            model="forum.Post", visible=visible_posts_with_files, expired=removed_posts_before
        )
    )
    owners.register(
        owners.OwnerKind(
            model="forum.ChatMessage",
            visible=visible_chat_with_files,
            expired=removed_chat_before,
        )
    )


# --- files ---------------------------------------------------------------------------


def visible_attachments(viewer) -> QuerySet[Attachment]:
    """Return the attachments `viewer` may fetch (one query with a subquery per owner kind)."""
    if not _signed_in(viewer):
        return Attachment.objects.none()
    allowed = Q(owner_id__isnull=True, uploader=viewer)
    for kind in owners.kinds():
        content_type = ContentType.objects.get_for_model(kind.model_class)
        allowed |= Q(owner_type=content_type, owner_id__in=kind.visible(viewer).values("pk"))
    return Attachment.objects.filter(allowed)


def get_attachment_or_404(viewer, pk: int) -> Attachment:
    """Return attachment `pk` with its stored file if `viewer` may fetch it; 404 otherwise."""
    if not _signed_in(viewer) or not 0 < pk < 2**63:
        raise Http404("No such file.")
    attachment = Attachment.objects.select_related("blob").filter(pk=pk).first()
    if attachment is None or not can_view(viewer, attachment):
        raise Http404("No such file.")
    return attachment


def can_view(viewer, attachment: Attachment) -> bool:
    if not _signed_in(viewer):
        return False
    if attachment.owner_id is None:
        return attachment.uploader_id == viewer.pk
    try:
        kind = owners.kind_of(ContentType.objects.get_for_id(attachment.owner_type_id))
    except LookupError:  # an owner kind no longer registered: nobody
        return False
    return kind.visible(viewer).filter(pk=attachment.owner_id).exists()


def _files(content_type: int, *, owners: list[int]) -> QuerySet[Attachment]:
    return (
        Attachment.objects.filter(owner_type=content_type, owner_id__in=owners)
        .select_related("blob")
        .order_by("owner_id", "position", "pk")
    )


# Built once per kind of owner and number of owners.
_FILES = PreparedQuery(_files)


def files_of(viewer, objects: Iterable[Model]) -> dict[int, list[Attachment]]:
    """Return, per owner pk, the files of `objects` (all of one model) that `viewer` may
    fetch, in their order.

    One query when none of `objects` has a file (most pages: building the owner rule's
    query was a third of a thread page), two otherwise: the files, then the rule asked
    about just their owners.
    """
    objects = list(objects)
    if not objects or not _signed_in(viewer):
        return {}
    kind = owners.kind_of(objects[0])
    content_type = ContentType.objects.get_for_model(kind.model_class).pk
    owner_ids = padded([obj.pk for obj in objects])
    rows = _FILES.objects(content_type, content_type, owners=owner_ids)
    if not rows:
        return {}
    owner_ids = {attachment.owner_id for attachment in rows}
    allowed = set(kind.visible(viewer).filter(pk__in=owner_ids).values_list("pk", flat=True))
    found: dict[int, list[Attachment]] = {}
    for attachment in rows:
        if attachment.owner_id in allowed:
            found.setdefault(attachment.owner_id, []).append(attachment)
    return found


def with_proposed_files(viewer, posts: Iterable[Post]) -> None:
    """For each post whose open edit `viewer` sees instead of the approved text (its
    `my_review`), show the proposed files in `post.files` too (one query for the added
    files and one for the removals, and none when no such edit is shown)."""
    shown = {
        post.my_review.pk: post
        for post in posts
        if getattr(post, "my_review", None) is not None
        and post.my_review.state == Review.State.OPEN
        and post.my_review.kind == Review.Kind.EDIT
    }
    if not shown:
        return
    reviews = [post.my_review for post in shown.values()]
    added = files_of(viewer, reviews)
    removed: dict[int, set[int]] = {}
    for review_id, attachment_id in ProposedRemoval.objects.filter(review__in=reviews).values_list(
        "review_id", "attachment_id"
    ):
        removed.setdefault(review_id, set()).add(attachment_id)
    for review_id, post in shown.items():
        gone = removed.get(review_id, set())
        post.files = [a for a in post.files if a.pk not in gone] + added.get(review_id, [])


def own_uploads(viewer, ids: Iterable[str | int]) -> list[Attachment]:
    """Return `viewer`'s own unattached uploads among `ids` (others are ignored)."""
    wanted = set()
    for raw in ids:
        text = str(raw)
        if text.isascii() and text.isdigit() and 0 < len(text) < 19:
            wanted.add(int(text))
    if not wanted or not _signed_in(viewer):
        return []
    return list(
        Attachment.objects.filter(pk__in=wanted, uploader=viewer, owner_id__isnull=True)
        .select_related("blob")
        .order_by("pk")
    )
