"""Files follow an edit that waits for review: readers keep the approved files until a
moderator approves; the author and the moderators see the proposed ones; a rejection
leaves the post as it was. A post's live fragment shows its files like the page does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attachments.actions import cleanup
from attachments.actions import files as file_actions
from attachments.models import Attachment, ProposedRemoval
from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import Review
from tests.attachments import samples
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(cross_border_review):
    """Legal policy where a member's cross-border posts and edits always wait."""
    cross_border_review.member_review_until = None
    cross_border_review.save(update_fields=["member_review_until"])
    return cross_border_review


@pytest.fixture
def reply_with_file(reviewed, moderator, member, start_thread, posting_unlimited):
    """A published reply by `member` (China) in a Kenyan moderator's group thread,
    carrying old.txt."""
    thread = start_thread(moderator)
    reply = actions.reply(author=member, parent=thread.posts.get(), body="Approved text.")
    moderation.approve(moderator=moderator, review=_open_review(reply))
    reply.refresh_from_db()
    old = file_actions.upload(member=member, file=samples.upload("old.txt", b"old"), name="old.txt")
    file_actions.attach(member=member, owner=reply, uploads=[old])
    return reply


def _open_review(post) -> Review:
    return Review.objects.get(post=post, state=Review.State.OPEN)


def _file(name: str) -> Attachment:
    return Attachment.objects.get(name=name)


def _status(member, attachment: Attachment) -> int:
    return client_for(member).get(reverse("attachment", args=[attachment.pk])).status_code


def _propose(member, reply) -> None:
    """Edit through the form: add new.txt, remove old.txt; the edit waits for review."""
    old = _file("old.txt")
    response = client_for(member).post(
        reverse("post_edit", args=[reply.pk]),
        {
            "body": "Proposed text.",
            "detach": [old.pk],
            "files": samples.upload("new.txt", b"new"),
        },
    )
    assert response.status_code == 302
    assert _open_review(reply).kind == Review.Kind.EDIT


def _link(attachment: Attachment) -> str:
    return reverse("attachment", args=[attachment.pk])


def test_files_added_in_an_edit_under_review_wait_with_its_text(
    reply_with_file, member, other_country_member, moderator, outsider
):
    _propose(member, reply_with_file)
    old, new = _file("old.txt"), _file("new.txt")
    review = _open_review(reply_with_file)
    assert (new.owner_id, old.owner_id) == (review.pk, reply_with_file.pk)
    assert list(ProposedRemoval.objects.values_list("attachment", flat=True)) == [old.pk]
    # A reader: the approved text and file, not the proposed ones.
    assert _status(other_country_member, new) == 404
    assert _status(other_country_member, old) == 200
    page = client_for(other_country_member).get(reply_with_file.thread.get_absolute_url())
    html = page.content.decode()
    assert _link(old) in html and _link(new) not in html
    assert _status(outsider, new) == 404
    # The author sees what they proposed, as with the text.
    assert _status(member, new) == 200
    html = client_for(member).get(reply_with_file.thread.get_absolute_url()).content.decode()
    assert "Proposed text." in html
    assert _link(new) in html and _link(old) not in html
    # The moderator whose queue holds it sees both versions on the review page.
    assert _status(moderator, new) == 200
    html = client_for(moderator).get(reverse("review", args=[review.pk])).content.decode()
    assert _link(new) in html and _link(old) in html


def test_approving_the_edit_applies_its_files(reply_with_file, member, other_country_member, chair):
    _propose(member, reply_with_file)
    old, new = _file("old.txt"), _file("new.txt")
    moderation.approve(moderator=chair, review=_open_review(reply_with_file))
    new.refresh_from_db()
    assert new.owner_id == reply_with_file.pk
    assert not Attachment.objects.filter(pk=old.pk).exists()
    assert not ProposedRemoval.objects.exists()
    assert _status(other_country_member, new) == 200
    assert _status(other_country_member, old) == 404
    html = client_for(other_country_member).get(reply_with_file.thread.get_absolute_url())
    assert _link(new) in html.content.decode()


def test_edit_and_approve_applies_the_proposed_files_too(reply_with_file, member, chair):
    _propose(member, reply_with_file)
    new = _file("new.txt")
    moderation.edit_and_approve(
        moderator=chair, review=_open_review(reply_with_file), body="Corrected text."
    )
    new.refresh_from_db()
    assert new.owner_id == reply_with_file.pk
    assert list(Attachment.objects.values_list("name", flat=True)) == ["new.txt"]


def test_rejecting_the_edit_keeps_the_old_files_and_orphans_the_new(
    reply_with_file, member, other_country_member, moderator, chair
):
    _propose(member, reply_with_file)
    old, new = _file("old.txt"), _file("new.txt")
    moderation.reject(moderator=chair, review=_open_review(reply_with_file), reason="tone")
    new.refresh_from_db()
    assert new.owner_id is None and new.attached_at is None
    assert not ProposedRemoval.objects.exists()
    assert _status(other_country_member, old) == 200
    # The added file is only its uploader's upload now: nobody else, moderators included.
    for viewer in (other_country_member, moderator, chair):
        assert _status(viewer, new) == 404
    assert _status(member, new) == 200
    # ... and the prune job removes it once it is older than the orphan limit.
    counts = cleanup.prune(now=timezone.now() + timedelta(hours=25))
    assert counts["orphans"] == 1
    assert list(Attachment.objects.values_list("name", flat=True)) == ["old.txt"]


def test_a_second_edit_replaces_the_proposed_files(reply_with_file, member):
    _propose(member, reply_with_file)
    first = _file("new.txt")
    response = client_for(member).post(
        reverse("post_edit", args=[reply_with_file.pk]),
        {"body": "Another proposal.", "files": samples.upload("newer.txt", b"newer")},
    )
    assert response.status_code == 302
    review = _open_review(reply_with_file)
    assert list(
        Attachment.objects.filter(owner_id=review.pk, owner_type__model="review").values_list(
            "name", flat=True
        )
    ) == ["newer.txt"]
    first.refresh_from_db()
    assert first.owner_id is None
    assert not ProposedRemoval.objects.exists()


def test_an_edit_of_files_alone_waits_for_review(reply_with_file, member, other_country_member):
    response = client_for(member).post(
        reverse("post_edit", args=[reply_with_file.pk]),
        {"body": "Approved text.", "files": samples.upload("only.txt", b"only")},
    )
    assert response.status_code == 302
    only = _file("only.txt")
    assert only.owner_id == _open_review(reply_with_file).pk
    assert _status(other_country_member, only) == 404


def test_a_direct_edit_or_a_removal_drops_the_proposed_files(
    reply_with_file, member, moderator, chair
):
    _propose(member, reply_with_file)
    new = _file("new.txt")
    actions.remove_post(moderator=chair, post=reply_with_file, reason="Off topic.")
    new.refresh_from_db()
    assert new.owner_id is None
    assert Review.objects.get(post=reply_with_file, kind="edit").state == Review.State.WITHDRAWN
    assert _file("old.txt").owner_id == reply_with_file.pk


def test_a_post_fragment_shows_its_files_as_the_page_does(
    reply_with_file, member, other_country_member, outsider
):
    image = file_actions.upload(
        member=member, file=samples.upload("site.png", samples.png_bytes()), name="site.png"
    )
    file_actions.attach(member=member, owner=reply_with_file, uploads=[image])
    old = _file("old.txt")
    url = reverse("post_fragment", args=[reply_with_file.pk])
    html = client_for(other_country_member).get(url).content.decode()
    assert _link(old) in html
    assert reverse("attachment_variant", args=[image.pk, "thumb"]) in html
    # The same file block, byte for byte, as the thread page renders for this reader.
    block = re.search(r'<div class="attachments">.*?</div>', html, re.DOTALL).group(0)
    page = client_for(other_country_member).get(reply_with_file.thread.get_absolute_url())
    assert block in page.content.decode()
    # Out of the audience: 404, as for a post that does not exist.
    assert client_for(outsider).get(url).status_code == 404


def test_the_authors_fragment_shows_the_proposed_files(reply_with_file, member):
    _propose(member, reply_with_file)
    url = reverse("post_fragment", args=[reply_with_file.pk])
    html = client_for(member).get(url).content.decode()
    assert _link(_file("new.txt")) in html
    assert _link(_file("old.txt")) not in html
