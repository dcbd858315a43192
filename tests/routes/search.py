"""Route rows of the search app: /search/ asked for the world's markers by every role.

The forum's world is indexed by its actions as it is built, so no objects of our own:
each row searches for a word of the world's texts ("Opening", "Reply", the chat's
"Hello" and the removed "Zambia only") and checks whose markers come back.
"""

from __future__ import annotations

from tests.access import World
from tests.routes.tables import LOGIN, NOT_ALLOWED, OK, Row

OPENING = {"q": "Opening"}  # opening posts; their thread's title names the thread's state
REPLY = {"q": "Reply"}  # replies in the published thread, one per moderation state
HIDDEN_REPLIES = "pending rejected removed"

URLS: dict = {
    "search": [
        Row("GET", "-", LOGIN, "anonymous", data=OPENING),
        Row("GET", "-", OK, "signed-in", data={}),  # the empty form
        Row("GET", "-", OK, "outsider", data=OPENING, hides="published limited locked"),
        Row(
            "GET",
            "-",
            OK,
            "foreigner",
            data=OPENING,
            hides="limited pending rejected",
            shows="published locked",
        ),
        Row(
            "GET",
            "-",
            OK,
            "reader author moderators",
            data=OPENING,
            hides="pending rejected",
            shows="published limited locked",
        ),
        Row("GET", "-", OK, "outsider", data=REPLY, hides=f"published {HIDDEN_REPLIES}"),
        Row(
            "GET",
            "-",
            OK,
            "members moderators",
            data=REPLY,
            hides=HIDDEN_REPLIES,
            shows="published",
        ),
        # Chat: "Hello all" in the live meeting; "Zambia only" was removed by a chair.
        Row("GET", "-", OK, "outsider", data={"q": "hello"}, hides="live"),
        Row("GET", "-", OK, "members moderators", data={"q": "hello"}, shows="live"),
        Row("GET", "-", OK, "signed-in", data={"q": "Zambia"}, hides="limited-meeting"),
        # Filters cannot reach past the rule: another group's slug finds nothing.
        Row(
            "GET",
            "-",
            OK,
            "outsider",
            data={"q": "Opening group:legal-policy"},
            hides="published limited locked",
        ),
        Row("GET", "-", OK, "reader", data={"q": "x" * 201}),  # too long: the form says so
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", NOT_ALLOWED, "reader"),
    ],
}


def build(world: World) -> None:
    """Nothing of our own: the forum's actions indexed the world while building it."""
