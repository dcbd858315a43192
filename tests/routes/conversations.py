"""Route rows of direct messages: only the two participants see a conversation; staff
see only a report's copy; everyone else gets the 404 of a missing conversation."""

from __future__ import annotations

from types import SimpleNamespace

from tests.access import World, secret
from tests.routes.attachments import attach_marked
from tests.routes.tables import BAD, LOGIN, NOT_ALLOWED, NOT_FOUND, OK, REDIRECT, Row

NOT_IN_IT = "outsider foreigner moderator chair staff"

URLS: dict = {
    "conversations:list": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "reader author", shows="dm", hides="dm-deleted"),
        Row("GET", "-", OK, NOT_IN_IT, hides="dm dm-far dm-reported"),
        Row("POST", "-", NOT_ALLOWED, "reader"),
    ],
    "conversations:new": [
        Row("GET", "-", LOGIN, "anonymous"),
        # ?to= the author: the reader already has a conversation with them, and goes there.
        Row("GET", "-", REDIRECT, "reader"),
        Row("GET", "-", OK, "outsider foreigner author moderator chair staff", hides="dm"),
        Row("POST", "-", LOGIN, "anonymous"),
        # The reader already talks with the author: the message goes there.
        Row("POST", "-", REDIRECT, "outsider foreigner reader moderator chair"),
        # Staff share no group with the author; nobody messages themselves.
        Row("POST", "-", BAD, "staff author", hides="dm"),
    ],
    "conversations:email": [
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", REDIRECT, "signed-in"),
        Row("GET", "-", NOT_ALLOWED, "reader"),
    ],
    "conversations:conversation": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row("GET", "open", OK, "reader author", shows="dm dm-far", hides="dm-deleted"),
        Row("GET", "open", NOT_FOUND, NOT_IN_IT, hides="dm"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
        Row("POST", "open", REDIRECT, "reader author"),
        Row("POST", "open", NOT_FOUND, NOT_IN_IT),
        Row("POST", "open", BAD, "reader", data={"body": "", "client_id": "route-empty"}),
    ],
    "conversations:settings": [
        Row("POST", "open", LOGIN, "anonymous"),
        Row("POST", "open", REDIRECT, "reader author"),
        Row("POST", "open", NOT_FOUND, NOT_IN_IT),
        Row("POST", "missing", NOT_FOUND, "reader"),
        Row("GET", "open", NOT_ALLOWED, "reader"),
    ],
    "conversations:edit": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row("GET", "open", OK, "author", shows="dm-reported"),
        Row("GET", "open", NOT_FOUND, "reader " + NOT_IN_IT, hides="dm-reported"),
        Row("GET", "deleted", NOT_FOUND, "author reader"),
        Row("GET", "missing", NOT_FOUND, "author"),
        Row("POST", "open", REDIRECT, "author"),
        Row("POST", "open", NOT_FOUND, "reader " + NOT_IN_IT),
    ],
    "conversations:delete": [
        Row("POST", "open", LOGIN, "anonymous"),
        Row("POST", "open", REDIRECT, "author"),
        Row("POST", "open", NOT_FOUND, "reader " + NOT_IN_IT),
        Row("POST", "missing", NOT_FOUND, "author"),
        Row("GET", "open", NOT_ALLOWED, "author"),
    ],
    "conversations:report": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row("GET", "open", OK, "reader", shows="dm-reported"),
        Row("GET", "open", NOT_FOUND, "author " + NOT_IN_IT, hides="dm-reported"),
        Row("GET", "deleted", NOT_FOUND, "reader"),
        Row("POST", "open", REDIRECT, "reader"),
        Row("POST", "open", NOT_FOUND, "author " + NOT_IN_IT),
    ],
    "conversations:block": [  # state: whom to block
        Row("POST", "author", LOGIN, "anonymous"),
        Row("POST", "author", REDIRECT, "signed-in"),
        Row("POST", "outsider", NOT_FOUND, "foreigner reader moderator chair"),
        Row("POST", "outsider", REDIRECT, "outsider author staff"),
        Row("POST", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "author", NOT_ALLOWED, "reader"),
    ],
    "conversations:reports": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "staff"),
        Row("GET", "-", NOT_FOUND, "outsider foreigner reader author moderator chair"),
    ],
    "conversations:report_detail": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row("GET", "open", OK, "staff", shows="dm-reported dm", hides="dm-far dm-deleted"),
        Row("GET", "open", NOT_FOUND, "outsider foreigner reader author moderator chair"),
        Row("GET", "missing", NOT_FOUND, "staff"),
        Row("POST", "open", REDIRECT, "staff"),
        Row("POST", "open", NOT_FOUND, "reader moderator"),
    ],
}

KINDS = {
    "dm_conversation": "conversations:conversation conversations:settings",
    "dm_message": "conversations:edit conversations:delete conversations:report",
    "dm_member": "conversations:block",
    "dm_report": "conversations:report_detail",
}

POST_DATA = {
    "conversations:new": {
        "to": lambda w: w.people["author"].handle,
        "body": "Route check",
        "client_id": "route-new",
    },
    "conversations:email": {"immediate": "on"},
    "conversations:conversation": {"body": "A reply.", "client_id": "route-reply"},
    "conversations:settings": {"action": "mute"},
    "conversations:edit": {"body": "Edited."},
    "conversations:report": {"reason": "Rude."},
    "conversations:block": {"action": "block"},
}


def build(world: World) -> None:
    """A conversation of the reader (Zambia) and the author (China), with a reported
    message, a deleted one, and one far from the report that staff never see."""
    from conversations.actions import messages, safety

    reader, author = world.people["reader"], world.people["author"]
    conversation, _first = messages.start_conversation(
        author=author,
        recipients=[reader],
        body=f"Opening {secret('dm-far')}",
        client_id="route-dm-1",
    )
    said = {}
    for n, (who, body) in enumerate(
        [
            (reader, "Filler a"),
            (author, "Filler b"),
            (reader, "Filler c"),
            (author, f"Rude {secret('dm-reported')}"),
            (author, f"Regretted {secret('dm-deleted')}"),
            (reader, f"Last {secret('dm')}"),
        ],
        start=2,
    ):
        said[n], _created = messages.send_message(
            author=who, conversation=conversation, body=body, client_id=f"route-dm-{n}"
        )
    # A file on the last message, the reported one and the deleted one (rows in
    # tests/routes/attachments.py).
    for state, message in (("dm", said[7]), ("dm-reported", said[5]), ("dm-deleted", said[6])):
        attach_marked(world, state, message, message.author)
    messages.delete_message(author=author, message=said[6])
    report = safety.report(reporter=reader, message=said[5], reason="Rude words")
    world.objects["dm_conversation"] = {"open": conversation}
    world.objects["dm_message"] = {"open": said[5], "deleted": said[6]}
    world.objects["dm_member"] = {
        "author": author,
        "outsider": world.people["outsider"],
        "missing": SimpleNamespace(handle="nobody-here"),
    }
    world.objects["dm_report"] = {"open": report}
