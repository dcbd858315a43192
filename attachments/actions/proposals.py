"""Files of an edit waiting for review: they follow the edit, not the post.

The files an edit adds are attached to its Review (readers of the post do not see them);
the files it takes off are listed as ProposedRemoval rows. Approval moves the added
files onto the post and drops the removed ones; rejection (or a withdrawn edit) leaves
the post as it was and turns the added files back into unattached uploads of their
uploader, which the prune job removes (docs/attachments.md). Call these inside the
forum action's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from attachments import limits, owners
from attachments.actions import files
from attachments.models import Attachment, ProposedRemoval


def _on(owner: Model):
    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk
    )


def discard(review: Model) -> int:
    """Drop `review`'s proposed file changes: its added files become unattached uploads
    (orphans for the prune job), its removals are forgotten. Return how many were added."""
    ProposedRemoval.objects.filter(review=review).delete()
    return _on(review).update(owner_type=None, owner_id=None, position=0, attached_at=None)


def propose(
    *, member, review: Model, post: Model, uploads: Sequence[Attachment], detach: Iterable[int]
) -> None:
    """Make `review` propose adding `uploads` to `post` and taking off its files `detach`.
    A new proposal replaces the review's earlier one, as its text does."""
    discard(review)
    dropped = set(_on(post).filter(pk__in=set(detach)).values_list("pk", flat=True))
    ProposedRemoval.objects.bulk_create(
        [ProposedRemoval(review=review, attachment_id=pk) for pk in sorted(dropped)]
    )
    kept = _on(post).exclude(pk__in=dropped).count()
    most = owners.kind_of(post).max_files or limits.max_per_post()
    if kept + len(uploads) > most:
        raise ValidationError(
            ngettext(
                "At most %(n)d file can be attached here.",
                "At most %(n)d files can be attached here.",
                most,
            )
            % {"n": most},
            code="too_many_files",
        )
    if uploads:
        files.attach(member=member, owner=review, uploads=uploads)


def apply(review: Model, post: Model) -> list[Attachment]:
    """Carry out `review`'s approved file changes on `post`; return the post's files."""
    with transaction.atomic():
        removals = ProposedRemoval.objects.filter(review=review)
        _on(post).filter(pk__in=removals.values("attachment_id")).delete()
        removals.delete()
        on_post = _on(post)
        present = on_post.count()
        added = list(_on(review).order_by("position", "pk"))
        if len(added) + present > (owners.kind_of(post).max_files or limits.max_per_post()):
            raise ValidationError(
                _("This edit would put too many files on the post."), code="too_many_files"
            )
        content_type = ContentType.objects.get_for_model(post)
        for position, attachment in enumerate(added, start=present):
            attachment.owner_type, attachment.owner_id = content_type, post.pk
            attachment.position = position
        Attachment.objects.bulk_update(added, ["owner_type", "owner_id", "position"])
    return list(on_post.select_related("blob").order_by("position", "pk"))
