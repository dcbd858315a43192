"""Route rows of the attachments app: uploading, and fetching a file or an image's
versions, per role and per state of what the file is attached to."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from attachments.actions import files
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import Review
from tests.access import World, secret
from tests.attachments.samples import png_bytes
from tests.routes.tables import BAD, LOGIN, NOT_ALLOWED, NOT_FOUND, OK, Row

THUMB = {"variant": "thumb"}
DISPLAY = {"variant": "display"}


def _file_rows() -> list[Row]:
    def state(name: str, allowed: str, denied: str) -> list[Row]:
        marker = f"file-{name}"
        return [
            Row("GET", name, OK, allowed, shows=marker),
            Row("GET", name, NOT_FOUND, denied, hides=marker),
        ]

    return [
        Row("GET", "published", LOGIN, "anonymous", hides="file-published"),
        *state("published", "members moderators", "outsider"),
        *state("pending", "author moderators", "outsider foreigner reader"),
        # Rejected and removed: the group's moderators keep the audit trail; nobody else.
        *state("rejected", "moderators", "outsider members"),
        *state("removed", "moderators", "outsider members"),
        *state("limited", "reader author moderators", "outsider foreigner"),
        *state("orphan", "author", "outsider foreigner reader moderators"),
        # An edit waiting for review: its added file only for who sees the proposed text
        # (the author, the moderators whose queue holds it); a file it would remove stays
        # the post's until approval. Rejected: the added file is the uploader's orphan.
        *state("proposed", "author moderators", "outsider foreigner reader"),
        *state("proposed-removal", "members moderators", "outsider"),
        *state("proposal-rejected", "author", "outsider foreigner reader moderators"),
        *state("chat", "members moderators", "outsider"),
        *state("chat-removed", "moderator staff", "outsider members chair"),
        # Direct messages (files built in tests/routes/conversations.py): the two
        # participants; staff only the reported message's; a deleted message's: nobody.
        *state("dm", "reader author", "outsider foreigner moderator chair staff"),
        *state("dm-reported", "reader author staff", "outsider foreigner moderator chair"),
        Row("GET", "dm-deleted", NOT_FOUND, "signed-in", hides="file-dm-deleted"),
        # Listing documents (tests/routes/projects.py): whoever sees the listing in its state.
        *state("listing-published", "outsider author chair staff", "foreigner reader moderator"),
        *state("listing-limited", "author chair staff", "outsider foreigner reader moderator"),
        *state("listing-draft", "author chair staff", "outsider foreigner reader moderator"),
        *state("listing-pending", "outsider staff", "author chair foreigner reader moderator"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
        Row("POST", "published", NOT_ALLOWED, "reader"),
    ]


URLS = {
    "attachment_upload": [
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", OK, "signed-in"),
        Row("POST", "-", BAD, "reader", data={}),  # no file: a clear error
        Row("POST", "-", BAD, "reader", data={"files": lambda w: _html_named_pdf()}),
        Row("GET", "-", NOT_ALLOWED, "reader"),
    ],
    "attachment": _file_rows(),
    "attachment_variant": [
        Row("GET", "image", LOGIN, "anonymous", args=THUMB),
        Row("GET", "image", OK, "members moderators", args=THUMB),
        Row("GET", "image", OK, "reader", args=DISPLAY),
        Row("GET", "image", NOT_FOUND, "outsider", args=THUMB),
        Row("GET", "limited-image", OK, "reader author moderators", args=THUMB),
        Row("GET", "limited-image", NOT_FOUND, "outsider foreigner", args=DISPLAY),
        Row("GET", "image", NOT_FOUND, "reader", args={"variant": "original"}),
        Row("GET", "published", NOT_FOUND, "reader", args=THUMB),  # not an image
        Row("GET", "missing", NOT_FOUND, "signed-in", args=THUMB),
        Row("GET", "huge", NOT_FOUND, "reader", args=THUMB),
    ],
}

KINDS = {"file": "attachment attachment_variant"}

POST_DATA = {
    "attachment_upload": {
        "files": lambda w: SimpleUploadedFile("minutes.txt", b"Minutes of the session")
    },
}


def _html_named_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("report.pdf", b"<!doctype html><script>alert(1)</script>")


def build(world: World) -> None:
    """A text file on each post state and chat message, an orphan upload, and images."""
    people = world.people

    found = {}
    for state in ("published", "pending", "rejected", "removed", "limited"):
        post = world.posts[state]
        found[state] = upload(people["author"], state)
        files.attach(member=people["author"], owner=post, uploads=[found[state]])
    found["orphan"] = upload(people["author"], "orphan")
    for state, message in (("chat", world.chat["live"]), ("chat-removed", world.chat["limited"])):
        found[state] = upload(message.author, state)
        files.attach(member=message.author, owner=message, uploads=[found[state]])
    for state, post, color in (
        ("image", world.posts["published"], (1, 2, 3, 255)),
        ("limited-image", world.posts["limited"], (4, 5, 6, 255)),
    ):
        found[state] = upload(people["author"], state, png_bytes(color=color), "photo.png")
        files.attach(member=people["author"], owner=post, uploads=[found[state]])
    # Edits waiting for review (the author's posts are reviewed), on replies of their own.
    parent = world.threads["published"].posts.get(number=1)
    moderator, legal = people["moderator"], world.legal
    # However many posts the author has by now, these edits wait (restored below).
    review_until, legal.member_review_until = legal.member_review_until, None
    legal.save(update_fields=["member_review_until"])
    for state in ("proposed", "proposal-rejected"):
        post = thread_actions.reply(author=people["author"], parent=parent, body=state)
        moderation.approve(moderator=moderator, review=_open_review(post))
        post.refresh_from_db()
        kept = upload(people["author"], "proposed-removal" if state == "proposed" else "kept")
        files.attach(member=people["author"], owner=post, uploads=[kept])
        found[state] = upload(people["author"], state)
        thread_actions.edit_post(
            editor=people["author"],
            post=post,
            body=f"Edited {state}",
            add_files=[found[state]],
            drop_files=[kept.pk] if state == "proposed" else [],
        )
        if state == "proposed":
            found["proposed-removal"] = kept
        else:
            moderation.reject(moderator=moderator, review=_open_review(post), reason="tone")
    legal.member_review_until = review_until
    legal.save(update_fields=["member_review_until"])
    world.objects.setdefault("file", {}).update(found)


def upload(member, state: str, content: bytes | None = None, name: str = "note.txt"):
    """An upload of `member` whose content carries the marker `file-<state>`."""
    content = content or f"File {secret(f'file-{state}')}".encode()
    return files.upload(member=member, file=SimpleUploadedFile(name, content), name=name)


def attach_marked(world: World, state: str, owner, member) -> None:
    """File a marked upload of `member` on `owner` as world.objects["file"][state]."""
    found = upload(member, state)
    files.attach(member=member, owner=owner, uploads=[found])
    world.objects.setdefault("file", {})[state] = found


def _open_review(post) -> Review:
    return Review.objects.get(post=post, state=Review.State.OPEN)
