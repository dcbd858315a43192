"""Every URL and socket route, asked from outside by every role about every object state.

The tables below give, per route, rows of (method, object state, expected answer,
roles). Each role of a row is its own test: a real request through Django's test
client with a real session (or a real socket on the ASGI application), checked
against the answer. A route without rows fails `test_every_url_route_has_rows`,
so no route ships without its access test. Roles and states: tests/access.py.

Answers: 200, 400, 405, 410; LOGIN (302 to sign-in), MFA (302 to the MFA set-up),
REDIRECT (any other 302), and NOT_FOUND, which must also look exactly like the
answer for a missing object (same status, same page). `hides` names states whose
marker must not appear in the answer however it succeeded; `shows`, states whose
marker must (so that the same check elsewhere is not vacuous). A socket answers
HELLO or closes with 4401, 4403 or 4404; its `hides` and `shows` apply to the
replay after `{"type": "resume", "after": 0}`.

A row whose right answer waits for a product fix is marked xfail(strict) with the
reason; when the fix lands the row passes, strict xfail fails, and the mark goes.
"""

from __future__ import annotations

import functools
import json
import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from forum.asgi import application
from forum.routing import websocket_urlpatterns
from tests.access import (
    HUGE_ID,
    MISSING_ID,
    ROLES,
    World,
    build_world,
    expand_roles,
    normalized,
    secret,
)
from tests.forum.test_consumers_groups import closed_with, frames
from tests.routes import modules as app_route_modules
from tests.routes.tables import (
    BAD,
    GONE,
    HELLO,
    LOGIN,
    MFA,
    NO_CONTENT,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    Answer,
    Row,
    Socket,
)

pytestmark = pytest.mark.django_db


# --- the HTTP table -----------------------------------------------------------------
# State "-" is for routes about the signed-in member (no object); "missing" names an
# object that does not exist; "huge" an id past the database's integer range.

MUTE_FOREIGNER = {"member": lambda w: w.people["foreigner"].pk}
INVITE_HUGE_GROUP = {
    "email": "new@example.org",
    "organization": "New organization",
    "country": "GH",
    "groups": HUGE_ID,
    "role": "member",
    "language": "en",
}

URLS: dict[str, list[Row]] = {
    # --- the member's own pages -------------------------------------------------------
    "dashboard": [
        Row("GET", "-", OK, "everyone"),
    ],
    "healthz": [
        Row("GET", "-", OK, "everyone"),
        Row("POST", "-", NOT_ALLOWED, "anonymous reader"),
    ],
    "inbox": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", NOT_ALLOWED, "reader"),
    ],
    "inbox_read": [
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", REDIRECT, "signed-in"),
        Row("GET", "-", NOT_ALLOWED, "reader"),
        Row("POST", "-", NOT_FOUND, "reader", data={"id": "\u00b2"}),
        Row("POST", "-", NOT_FOUND, "reader", data={"id": HUGE_ID}),
    ],
    "calendar_settings": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", REDIRECT, "signed-in"),
    ],
    "calendar_feed": [  # the token is the credential: no session needed
        Row("GET", "valid", OK, "everyone"),
        Row("GET", "missing", NOT_FOUND, "everyone"),
    ],
    "profile": [  # state: whose profile
        Row("GET", "reader", LOGIN, "anonymous"),
        Row("GET", "reader", NOT_FOUND, "outsider"),
        Row("GET", "reader", OK, "members moderators"),
        Row("GET", "outsider", OK, "outsider author staff"),
        Row("GET", "outsider", NOT_FOUND, "foreigner reader moderator chair"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "profile_edit": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", OK, "reader"),  # an empty form comes back with its errors
    ],
    "notification_settings": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", OK, "reader"),
    ],
    "unsubscribe": [  # the signed token is the credential; mail clients POST without cookies
        Row("GET", "valid", OK, "everyone"),
        Row("POST", "valid", OK, "anonymous outsider"),
        Row("GET", "missing", BAD, "everyone"),
    ],
    "invitation_accept": [  # a valid link signs out whoever is signed in
        Row("GET", "open", REDIRECT, "everyone"),
        Row("GET", "missing", GONE, "everyone"),
    ],
    "invitations": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", NOT_FOUND, "outsider members moderator"),
        Row("GET", "-", OK, "chair staff"),
        Row("POST", "-", NOT_FOUND, "outsider reader moderator"),
        Row("POST", "-", OK, "chair staff"),  # an empty form comes back with its errors
        Row("POST", "-", NOT_FOUND, "chair", data=INVITE_HUGE_GROUP),
    ],
    "invitation_revoke": [
        Row("POST", "open", LOGIN, "anonymous"),
        Row("POST", "open", NOT_FOUND, "outsider members moderator"),
        Row("POST", "open", REDIRECT, "chair staff"),
        Row("GET", "open", NOT_ALLOWED, "chair"),
        Row("POST", "missing", NOT_FOUND, "chair staff"),
        Row("POST", "huge", NOT_FOUND, "chair"),
    ],
    # --- a working group's pages (state "moved": the moved thread's old group) ---------
    "group": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider"),
        Row("GET", "legal", OK, "foreigner", hides="limited pending rejected"),
        Row("GET", "legal", OK, "reader", hides="pending rejected", shows="limited moved"),
        Row("GET", "legal", OK, "author moderators", shows="limited pending rejected moved"),
        Row("GET", "moved", OK, "outsider author staff", hides="moved moved-edit"),
        Row("GET", "moved", NOT_FOUND, "foreigner reader moderator chair"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "thread_new": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider"),
        Row("GET", "legal", OK, "members moderators"),
        Row("POST", "legal", NOT_FOUND, "outsider"),
        Row("POST", "legal", REDIRECT, "members moderators"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "group_people": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider"),
        Row("GET", "legal", OK, "members moderators"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "group_members": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider members moderator"),
        Row("GET", "legal", OK, "chair staff"),
        Row("POST", "legal", NOT_FOUND, "outsider members moderator"),
        Row("POST", "legal", REDIRECT, "chair staff"),
        Row("GET", "missing", NOT_FOUND, "chair staff"),
    ],
    "group_meetings": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider"),
        Row("GET", "legal", OK, "foreigner author chair", hides="limited-meeting"),
        Row("GET", "legal", OK, "reader moderator staff", shows="limited-meeting"),
        Row("POST", "legal", NOT_FOUND, "outsider members"),
        Row("POST", "legal", OK, "moderators"),  # an empty form comes back with its errors
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "group_queue": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider members"),
        Row("GET", "legal", OK, "moderators"),
        Row("GET", "moved", NOT_FOUND, "outsider author moderator chair"),
        Row("GET", "missing", NOT_FOUND, "moderators"),
    ],
    "group_audit_log": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider members moderator"),
        Row("GET", "legal", OK, "staff", shows="limited-chat"),
        Row("GET", "legal", OK, "chair", hides="limited-chat"),
        Row("GET", "legal", OK, "chair", data={"format": "csv"}, hides="limited-chat"),
        Row("GET", "missing", NOT_FOUND, "chair staff"),
    ],
    "group_mutes": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider members"),
        Row("GET", "legal", OK, "moderators"),
        Row("POST", "legal", NOT_FOUND, "outsider members"),
        Row("POST", "legal", BAD, "moderators"),  # an empty form comes back with its errors
        Row("GET", "missing", NOT_FOUND, "moderators"),
    ],
    "group_policy": [
        Row("GET", "legal", LOGIN, "anonymous"),
        Row("GET", "legal", NOT_FOUND, "outsider members moderator"),
        Row("GET", "legal", OK, "chair staff"),
        Row("POST", "legal", NOT_FOUND, "outsider members moderator"),
        Row("POST", "legal", BAD, "chair staff"),  # an empty form comes back with its errors
        Row("GET", "missing", NOT_FOUND, "chair staff"),
    ],
    # --- moderation across groups ---------------------------------------------------------
    "queue": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", NOT_FOUND, "outsider members"),
        Row("GET", "-", OK, "moderators"),
    ],
    "review": [  # state "decided": the review of the rejected reply
        Row("GET", "pending", LOGIN, "anonymous"),
        Row("GET", "pending", NOT_FOUND, "outsider members"),
        Row("GET", "pending", OK, "moderators"),
        Row("POST", "pending", NOT_FOUND, "outsider members"),
        Row("POST", "pending", REDIRECT, "moderators"),
        Row(
            "POST", "pending", REDIRECT, "chair", data={"action": "bogus"}
        ),  # with an error message
        Row("GET", "decided", NOT_FOUND, "members moderators"),
        Row("GET", "missing", NOT_FOUND, "moderators"),
        Row("GET", "huge", NOT_FOUND, "chair"),
    ],
    "approve_selected": [  # the MFA gate comes first; the queue then holds only one's own
        Row("POST", "-", LOGIN, "anonymous"),
        Row("POST", "-", MFA, "outsider members"),
        Row("POST", "-", REDIRECT, "moderators"),
        Row("GET", "-", NOT_ALLOWED, "chair"),
        Row("POST", "-", NOT_FOUND, "chair", data={"review": HUGE_ID}),
    ],
    "resolve_report": [
        Row("POST", "open", LOGIN, "anonymous"),
        Row("POST", "open", NOT_FOUND, "outsider members"),
        Row("POST", "open", REDIRECT, "moderators"),
        Row("GET", "open", NOT_ALLOWED, "chair"),
        Row("POST", "missing", NOT_FOUND, "moderators"),
        Row("POST", "huge", NOT_FOUND, "chair"),
    ],
    # --- threads (pending, rejected: the opening post's state) ---------------------------
    "thread": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "foreigner reader", hides="pending rejected removed"),
        Row("GET", "published", OK, "author", hides="removed", shows="pending rejected"),
        Row("GET", "published", OK, "moderators", shows="pending rejected removed"),
        Row("GET", "pending", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "pending", OK, "author moderators"),
        Row("GET", "rejected", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "rejected", OK, "author moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader author moderators"),
        Row("GET", "locked", OK, "members moderators"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", OK, "members moderators"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
    ],
    "thread_slug": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "foreigner"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    "thread_reply": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators"),
        Row("POST", "published", NOT_FOUND, "outsider"),
        Row("POST", "published", REDIRECT, "members moderators"),
        Row("POST", "pending", NOT_FOUND, "foreigner reader"),
        Row("POST", "pending", BAD, "author moderators"),  # not published: no replies yet
        Row("POST", "limited", NOT_FOUND, "foreigner"),
        Row("POST", "limited", REDIRECT, "reader"),
        Row("POST", "locked", BAD, "members"),
        Row("POST", "locked", REDIRECT, "moderators"),
        Row("POST", "moved", NOT_FOUND, "outsider"),
        Row("POST", "moved", REDIRECT, "reader"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "thread_moderate": [
        Row("POST", "published", LOGIN, "anonymous"),
        Row("POST", "published", NOT_FOUND, "outsider members"),
        Row("POST", "published", REDIRECT, "moderators"),
        Row("GET", "published", NOT_ALLOWED, "chair"),
        Row("POST", "limited", NOT_FOUND, "foreigner"),
        Row("POST", "moved", NOT_FOUND, "outsider"),
        Row("POST", "moved", REDIRECT, "moderators"),
        Row("POST", "missing", NOT_FOUND, "moderators"),
    ],
    "thread_seen": [
        Row("POST", "published", LOGIN, "anonymous"),
        Row("POST", "published", NOT_FOUND, "outsider"),
        Row("POST", "published", NO_CONTENT, "members moderators"),
        Row("POST", "published", BAD, "reader", data={"number": "\u00b2"}),
        Row("GET", "published", NOT_ALLOWED, "reader"),
        Row("POST", "pending", NOT_FOUND, "reader"),
        Row("POST", "limited", NOT_FOUND, "foreigner"),
        Row("POST", "moved", NOT_FOUND, "outsider"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "thread_watch": [
        Row("POST", "published", LOGIN, "anonymous"),
        Row("POST", "published", NOT_FOUND, "outsider"),
        Row("POST", "published", REDIRECT, "members moderators"),
        Row("GET", "published", NOT_ALLOWED, "reader"),
        Row("POST", "pending", NOT_FOUND, "reader"),
        Row("POST", "limited", NOT_FOUND, "foreigner"),
        Row("POST", "moved", NOT_FOUND, "outsider"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    # --- posts (published ... removed: replies in the published thread; limited, locked,
    # moved: the opening post of that thread) ---------------------------------------------
    "post": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", REDIRECT, "members moderators"),
        Row("GET", "pending", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "pending", REDIRECT, "author moderators"),
        Row("GET", "rejected", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "rejected", REDIRECT, "author moderators"),
        Row("GET", "removed", REDIRECT, "members moderators"),  # shown as a placeholder
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", REDIRECT, "reader author moderators"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", REDIRECT, "members moderators"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
    ],
    "post_reply": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider"),
        Row("GET", "published", OK, "members moderators"),
        Row("POST", "published", REDIRECT, "members moderators"),
        Row("POST", "pending", NOT_FOUND, "foreigner reader"),
        Row("POST", "pending", BAD, "author moderators"),
        Row("POST", "removed", BAD, "reader moderator"),
        Row("POST", "limited", NOT_FOUND, "outsider foreigner"),
        Row("POST", "limited", REDIRECT, "reader"),
        Row("POST", "locked", BAD, "members"),
        Row("POST", "locked", REDIRECT, "moderators"),
        Row("POST", "moved", NOT_FOUND, "outsider"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "post_edit": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "published", OK, "author moderators"),
        Row("POST", "published", NOT_FOUND, "outsider foreigner reader"),
        Row("POST", "published", REDIRECT, "author moderators"),
        Row("GET", "pending", NOT_FOUND, "reader"),
        Row("GET", "pending", OK, "author moderators"),
        Row("GET", "removed", NOT_FOUND, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "foreigner"),
        Row("GET", "limited", OK, "author"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", OK, "author moderators"),
        Row("GET", "missing", NOT_FOUND, "author"),
    ],
    "post_history": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider foreigner reader"),
        Row("GET", "published", OK, "author moderators"),
        Row("GET", "pending", NOT_FOUND, "reader"),
        Row("GET", "pending", OK, "author moderators"),
        Row("GET", "removed", NOT_FOUND, "reader"),
        Row("GET", "removed", NOT_FOUND, "author"),
        Row("GET", "removed", OK, "moderators"),
        Row("GET", "limited", NOT_FOUND, "foreigner"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", OK, "moderators"),
        Row("GET", "missing", NOT_FOUND, "author"),
    ],
    "post_remove": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider members"),
        Row("GET", "published", OK, "moderators"),
        Row("POST", "published", NOT_FOUND, "outsider members"),
        Row("POST", "published", REDIRECT, "moderators"),
        Row("GET", "limited", NOT_FOUND, "foreigner"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "moved", OK, "moderators"),
        Row("GET", "missing", NOT_FOUND, "moderators"),
    ],
    "post_restore": [
        Row("POST", "removed", LOGIN, "anonymous"),
        Row("POST", "removed", NOT_FOUND, "outsider members"),
        Row("POST", "removed", REDIRECT, "moderators"),
        Row("GET", "removed", NOT_ALLOWED, "chair"),
        Row("POST", "missing", NOT_FOUND, "moderators"),
    ],
    "post_report": [  # members report published posts they see, never their own
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", NOT_FOUND, "outsider author"),
        Row("GET", "published", OK, "foreigner reader moderators"),
        Row("POST", "published", NOT_FOUND, "outsider author"),
        Row("POST", "published", REDIRECT, "foreigner reader moderators"),
        Row("GET", "pending", NOT_FOUND, "members moderators"),
        Row("GET", "removed", NOT_FOUND, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner"),
        Row("GET", "limited", OK, "reader"),
        Row("GET", "moved", NOT_FOUND, "outsider"),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    # --- meetings (limited: Zambia only, so the foreigner, the author and the chair are
    # outside it; the Zambian moderator organized it) -------------------------------------
    "meeting": [
        Row("GET", "scheduled", LOGIN, "anonymous"),
        Row("GET", "scheduled", NOT_FOUND, "outsider"),
        Row("GET", "scheduled", OK, "members moderators"),
        Row("GET", "live", NOT_FOUND, "outsider"),
        Row("GET", "live", OK, "members moderators"),
        Row("GET", "ended", NOT_FOUND, "outsider"),
        Row("GET", "ended", OK, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner author chair"),
        Row("GET", "limited", OK, "reader moderator staff"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader"),
    ],
    "meeting_edit": [
        Row("GET", "scheduled", LOGIN, "anonymous"),
        Row("GET", "scheduled", NOT_FOUND, "outsider members"),
        Row("GET", "scheduled", OK, "moderators"),
        Row("POST", "scheduled", NOT_FOUND, "outsider members"),
        Row("POST", "scheduled", OK, "moderators"),  # an empty form comes back with its errors
        Row("GET", "limited", NOT_FOUND, "reader chair"),
        Row("GET", "limited", OK, "moderator staff"),
        Row("GET", "missing", NOT_FOUND, "chair"),
    ],
    "meeting_rsvp": [
        Row("POST", "scheduled", LOGIN, "anonymous"),
        Row("POST", "scheduled", NOT_FOUND, "outsider"),
        Row("POST", "scheduled", REDIRECT, "members moderators"),
        Row("GET", "scheduled", NOT_ALLOWED, "reader"),
        Row("POST", "ended", REDIRECT, "reader"),  # refused with a message on the page
        Row("POST", "limited", NOT_FOUND, "foreigner author chair"),
        Row("POST", "limited", REDIRECT, "reader"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "meeting_chat": [
        Row("POST", "live", LOGIN, "anonymous"),
        Row("POST", "live", NOT_FOUND, "outsider"),
        Row("POST", "live", REDIRECT, "members moderators"),
        Row("GET", "live", NOT_ALLOWED, "reader"),
        Row("POST", "limited", NOT_FOUND, "foreigner author chair"),
        Row("POST", "limited", REDIRECT, "reader"),
        Row("POST", "missing", NOT_FOUND, "reader"),
    ],
    "chat_remove": [
        Row("POST", "live", LOGIN, "anonymous"),
        Row("POST", "live", NOT_FOUND, "outsider members"),
        Row("POST", "live", REDIRECT, "moderators"),
        Row("GET", "live", NOT_ALLOWED, "chair"),
        Row("POST", "live", NOT_FOUND, "chair", args={"message_id": MISSING_ID}),
        Row("POST", "limited", NOT_FOUND, "reader chair"),
        Row("POST", "limited", REDIRECT, "moderator staff"),
        Row("POST", "missing", NOT_FOUND, "chair"),
    ],
    "chat_mute": [
        Row("POST", "live", LOGIN, "anonymous"),
        Row("POST", "live", NOT_FOUND, "outsider members"),
        Row("POST", "live", REDIRECT, "moderators"),
        Row("GET", "live", NOT_ALLOWED, "chair"),
        Row("POST", "limited", NOT_FOUND, "reader chair"),
        Row("POST", "limited", REDIRECT, "moderator staff"),
        Row("POST", "limited", NOT_FOUND, "moderator", data=MUTE_FOREIGNER),
        Row("POST", "missing", NOT_FOUND, "chair"),
    ],
    "meeting_manage": [
        Row("POST", "scheduled", LOGIN, "anonymous"),
        Row("POST", "scheduled", NOT_FOUND, "outsider members"),
        Row("POST", "scheduled", REDIRECT, "moderators"),
        Row("GET", "scheduled", NOT_ALLOWED, "chair"),
        Row("POST", "ended", REDIRECT, "chair"),  # refused with a message on the page
        Row("POST", "limited", NOT_FOUND, "reader chair"),
        Row("POST", "missing", NOT_FOUND, "chair"),
    ],
    "meeting_minutes": [
        Row("GET", "ended", LOGIN, "anonymous"),
        Row("GET", "ended", NOT_FOUND, "outsider members"),
        Row("GET", "ended", OK, "moderators"),
        Row("POST", "ended", NOT_FOUND, "outsider members"),
        Row("POST", "ended", REDIRECT, "moderators"),
        Row("GET", "limited", NOT_FOUND, "chair"),
        Row("GET", "missing", NOT_FOUND, "chair"),
    ],
    "meeting_transcript": [
        Row("GET", "live", LOGIN, "anonymous"),
        Row("GET", "live", NOT_FOUND, "outsider"),
        Row("GET", "live", OK, "members moderators"),
        Row("GET", "ended", OK, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "outsider foreigner author chair"),
        Row("GET", "limited", OK, "reader moderator staff"),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    "meeting_transcript_export": [
        Row("GET", "live", LOGIN, "anonymous"),
        Row("GET", "live", NOT_FOUND, "outsider"),
        Row("GET", "live", OK, "members moderators"),
        Row("GET", "live", OK, "reader", args={"export": "json"}),
        Row("GET", "live", NOT_FOUND, "reader chair", args={"export": "xml"}),
        Row("GET", "limited", NOT_FOUND, "foreigner chair"),
        Row("GET", "limited", NOT_FOUND, "foreigner", args={"export": "json"}),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    "meeting_ics": [
        Row("GET", "scheduled", LOGIN, "anonymous"),
        Row("GET", "scheduled", NOT_FOUND, "outsider"),
        Row("GET", "scheduled", OK, "members moderators"),
        Row("GET", "limited", NOT_FOUND, "foreigner author chair"),
        Row("GET", "limited", OK, "reader"),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    # --- other people's pages: a few rows each; their own tests cover the rest -----------
    "set_language": [
        Row("POST", "-", REDIRECT, "everyone"),
    ],
    "account_login": [
        Row("GET", "-", OK, "anonymous"),
        Row("GET", "-", REDIRECT, "reader"),
    ],
    "account_logout": [
        Row("POST", "-", REDIRECT, "signed-in"),
    ],
    "mfa_index": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
    ],
    "admin:index": [
        Row("GET", "-", REDIRECT, "anonymous outsider members moderator chair"),
        Row("GET", "-", OK, "staff"),
    ],
    "admin:login": [
        Row("GET", "-", LOGIN, "anonymous"),
    ],
}

# What each route's object is: the kind of `pk` or token in its URL (a lone slug: a group).
_ROUTES_BY_KIND = {
    "member": "profile",
    "feed": "calendar_feed",
    "unsubscribe": "unsubscribe",
    "invitation": "invitation_accept invitation_revoke",
    "review": "review",
    "report": "resolve_report",
    "thread": "thread thread_slug thread_reply thread_moderate thread_watch thread_seen",
    "post": "post post_reply post_edit post_history post_remove post_restore post_report",
    "meeting": "meeting meeting_edit meeting_rsvp meeting_chat chat_remove chat_mute "
    "meeting_manage meeting_minutes meeting_transcript meeting_transcript_export meeting_ics",
}
KINDS = {route: kind for kind, routes in _ROUTES_BY_KIND.items() for route in routes.split()}

# A valid POST per route, so that allowed roles reach the action itself.
POST_DATA: dict[str, dict] = {
    "thread_new": {"title": "Route check", "body": "A new thread.", "audience": "group"},
    "group_members": {
        "membership": lambda w: w.people["reader"].memberships.get().pk,
        "role": "trusted",
    },
    "review": {"action": "approve"},
    "approve_selected": {"review": lambda w: w.reviews["pending"].pk},
    "resolve_report": {"action": "dismiss"},
    "thread_reply": {"body": "A reply."},
    "thread_moderate": {"action": "pin"},
    "thread_watch": {"state": "watch"},
    "thread_seen": {"number": "1"},
    "post_reply": {"body": "A reply."},
    "post_edit": {"body": "Edited text."},
    "post_remove": {"reason": "Off topic."},
    "post_report": {"reason": "spam"},
    "meeting_rsvp": {"answer": "attending"},
    "meeting_chat": {"client_id": "route-3", "body": "Hello"},
    "chat_remove": {"reason": "Off topic."},
    "chat_mute": {"member": lambda w: w.people["reader"].pk},
    "meeting_manage": {"action": "start"},
    "meeting_minutes": {"minutes": "Notes."},
    "set_language": {"language": "fr", "next": "/"},
}

# Included URL configurations that are not ours, each with why it needs no full table.
EXCLUDED = {
    "accounts/": "django-allauth's own sign-in, sign-up, email, password and MFA pages: "
    "its access rules, tested by allauth and tests/accounts/; rows below pin the entry points",
    "admin/": "Django's admin: every page passes AdminSite.admin_view (active staff with MFA); "
    "tests/test_admin.py covers the model pages; rows below pin the index and login",
}


# --- the socket table ---------------------------------------------------------------


# Refusals close with 4401 (not signed in), 4403 (not allowed) or 4404 (no such group
# or meeting), as docs/protocol.md says. Removed text leaves the event log: no replay.
SOCKETS: dict[str, list[Socket]] = {
    "ws/groups/<slug:slug>/": [
        Socket("legal", 4401, "anonymous"),
        Socket("legal", 4403, "outsider"),
        Socket("legal", HELLO, "foreigner", hides="limited pending rejected removed dm"),
        Socket("legal", HELLO, "reader", hides="pending rejected removed dm", shows="limited"),
        Socket("legal", HELLO, "author moderators", hides="removed dm", shows="pending"),
        Socket("moved", 4403, "foreigner reader moderator chair"),
        Socket("moved", HELLO, "outsider author", hides="moved moved-edit"),
        Socket("missing", 4401, "anonymous"),
        Socket("missing", 4404, "signed-in"),
    ],
    "ws/meetings/<int:pk>/": [
        Socket("scheduled", 4401, "anonymous"),
        Socket("scheduled", 4404, "outsider"),
        Socket("scheduled", HELLO, "members moderators"),
        Socket("live", 4404, "outsider"),
        Socket("live", HELLO, "members moderators"),
        Socket("ended", 4404, "outsider"),
        Socket("ended", HELLO, "members moderators"),
        Socket("limited", 4404, "outsider foreigner author chair"),
        Socket("limited", HELLO, "reader moderator staff"),
        Socket("missing", 4401, "anonymous"),
        Socket("missing", 4404, "signed-in"),
    ],
    "ws/inbox/": [
        Socket("-", 4401, "anonymous"),
        # Direct messages (tests/routes/conversations.py) reach their two members only.
        Socket("-", HELLO, "reader author", shows="dm", hides="dm-deleted"),
        Socket("-", HELLO, "outsider foreigner moderator chair staff", hides="dm dm-far"),
    ],
}

SOCKET_KINDS = {
    "ws/groups/<slug:slug>/": "group",
    "ws/meetings/<int:pk>/": "meeting",
    "ws/inbox/": "none",
}


# --- the tables of the other apps (tests/routes/) -----------------------------------

for _module in app_route_modules():
    for _name in ("URLS", "POST_DATA", "SOCKETS", "SOCKET_KINDS"):
        _table = getattr(_module, _name, {})
        _clash = set(_table) & set(globals()[_name])
        assert not _clash, f"{_module.__name__}.{_name} repeats {sorted(_clash)}"
        globals()[_name].update(_table)
    for _kind, _routes in getattr(_module, "KINDS", {}).items():
        KINDS.update({route: _kind for route in _routes.split()})

__all__ = ["BAD", "GONE", "MFA", "NO_CONTENT", "OK", "Answer"]


# --- the world, once per module -----------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the world once, inside a transaction that is rolled back after the module.

    Each test runs in a savepoint inside it (pytest-django's `db`), so a POST that
    succeeds changes nothing for the next row.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


# --- enumerating the routes ---------------------------------------------------------


@functools.cache
def url_routes() -> dict[str, str]:
    """Return every URL route of the project as {name: pattern}, walking includes."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, pattern, inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name}" if entry.name else pattern
                found.setdefault(name, pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


def excluded_because(pattern: str) -> str:
    return next((why for prefix, why in EXCLUDED.items() if pattern.startswith(prefix)), "")


def test_every_url_route_has_rows():
    """A route without rows in URLS fails here: add its access rows with the route."""
    missing = [
        f"{name}  ({pattern})"
        for name, pattern in url_routes().items()
        if name not in URLS and not excluded_because(pattern)
    ]
    assert not missing, "routes without access rows:\n" + "\n".join(missing)


def test_every_row_names_a_route():
    routes = url_routes()
    for table in (URLS, KINDS, POST_DATA):
        assert sorted(set(table) - set(routes)) == []
    assert sorted(set(SOCKETS) - {str(p.pattern) for p in websocket_urlpatterns}) == []


def test_every_exclusion_covers_routes_and_keeps_a_few_rows():
    """An exclusion that matches nothing is stale; one without rows is a blind spot."""
    for prefix in EXCLUDED:
        matched = [name for name, pattern in url_routes().items() if pattern.startswith(prefix)]
        assert matched, f"{prefix} matches no route"
        assert set(matched) & set(URLS), f"{prefix} has no explicit rows"


def test_every_socket_route_has_rows():
    missing = [str(p.pattern) for p in websocket_urlpatterns if str(p.pattern) not in SOCKETS]
    assert not missing, "socket routes without access rows: " + ", ".join(missing)


# --- asking from outside ------------------------------------------------------------


def signed_in(world: World, role: str) -> Client:
    """Return a client carrying `role`'s session (made once, when the world was built)."""
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def url_for(world: World, route: str, row: Row, state: str | None = None) -> str:
    pattern = url_routes()[route]
    names = _ARGUMENT.findall(pattern)
    kind = KINDS.get(route, "group" if names == ["slug"] else "none")
    kwargs = world.kwargs(kind, state or row.state, names, row.args or {})
    return reverse(route, kwargs=kwargs) if kwargs else reverse(route)


def post_data(world: World, route: str, row: Row) -> dict:
    data = POST_DATA.get(route, {}) if row.data is None else row.data
    return {key: value(world) if callable(value) else value for key, value in data.items()}


def ask(client: Client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url, data)
    return client.generic(method, url) if method != "POST" else client.post(url, data)


def known_bug(reason: str) -> pytest.MarkDecorator:
    """Mark a row whose right answer waits for a fix: it must fail, and by its assertion."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


def row_id(route: str, row: Row, role: str) -> str:
    """Name a case by route, method, state and role, plus what a row sends of its own."""
    own = {**(row.data or {}), **(row.args or {})}
    extra = "".join(
        f"-{key}" if callable(value) else f"-{key}={str(value)[:12]}"
        for key, value in own.items()
        if key != "email"
    )
    return f"{route}-{row.method}-{row.state}-{role}{extra}"


def url_cases():
    for route, rows in URLS.items():
        for row in rows:
            for role in expand_roles(row.roles):
                marks = [known_bug(row.xfail)] if row.xfail else []
                yield pytest.param(route, row, role, id=row_id(route, row, role), marks=marks)


@pytest.mark.parametrize(("route", "row", "role"), list(url_cases()))
def test_url_answers(world, route, row, role):
    client = signed_in(world, role)
    url = url_for(world, route, row)
    data = post_data(world, route, row)
    response = ask(client, row.method, url, data)
    where = response.get("Location", "")
    said = f"{row.method} {url} as {role} ({route}, {row.state})"
    got = f"{response.status_code}{' to ' + where if where else ''}"
    assert response.status_code == row.answer.status, f"{said}: expected {row.answer}, got {got}"
    if row.answer.to == "login":
        assert where.startswith(reverse("account_login")), f"{said}: expected sign-in, got {got}"
    elif row.answer.to == "mfa":
        assert where.startswith(reverse("mfa_activate_totp")), f"{said}: expected MFA, got {got}"
    elif row.answer.status == 302:
        elsewhere = not where.startswith((reverse("account_login"), reverse("mfa_activate_totp")))
        assert elsewhere, f"{said}: expected {row.answer}, got {got}"
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    for state in row.hides.split():
        assert secret(state).encode() not in body, f"{said}: shows the {state} object"
    for state in row.shows.split():
        assert secret(state).encode() in body, f"{said}: does not show the {state} object"
    if row.answer == NOT_FOUND and row.state not in ("missing", "-"):
        # Forbidden must look exactly like missing: same status, same page.
        missing_url = url_for(world, route, row, "missing")
        if missing_url != url:
            key = (role, row.method, missing_url, tuple(sorted(data.items())))
            if key not in world.missing_answers:
                twin = ask(signed_in(world, role), row.method, missing_url, data)
                page = normalized(twin.content, missing_url)
                world.missing_answers[key] = (twin.status_code, page)
            status, page = world.missing_answers[key]
            assert status == 404, f"{said}: the missing twin answered {status}"
            assert normalized(body, url) == page, f"{said}: the 404 differs from a missing object's"


# --- sockets ------------------------------------------------------------------------


def socket_cases():
    for pattern, rows in SOCKETS.items():
        for row in rows:
            for role in expand_roles(row.roles):
                marks = [known_bug(row.xfail)] if row.xfail else []
                name = _ARGUMENT.sub(lambda m: f"<{m.group(1)}>", pattern)
                yield pytest.param(pattern, row, role, id=f"{name}-{row.state}-{role}", marks=marks)


@pytest.mark.parametrize(("pattern", "row", "role"), list(socket_cases()))
def test_socket_answers(world, pattern, row, role, monkeypatch):
    # The consumer's database work runs on this thread (async_to_sync below), inside the
    # test's transaction: closing "old" connections between calls would end it.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    names = _ARGUMENT.findall(pattern)
    kwargs = world.kwargs(SOCKET_KINDS[pattern], row.state, names, {})
    path = "/" + _ARGUMENT.sub(lambda m: str(kwargs[m.group(1)]), pattern)
    headers = [(b"origin", b"http://testserver")]
    if role != "anonymous":
        cookie = f"{settings.SESSION_COOKIE_NAME}={world.sessions[role]}"
        headers.append((b"cookie", cookie.encode()))
    said = f"{path} as {role} ({row.state})"

    async def scenario() -> None:
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, _code = await socket.connect(timeout=5)
        assert connected, f"{said}: refused at the handshake"
        if row.answer != HELLO:
            code = await closed_with(socket)
            assert code == row.answer, f"{said}: expected close {row.answer}, got {code}"
            return
        first = await socket.receive_output(timeout=5)
        if first["type"] == "websocket.close":
            pytest.fail(f"{said}: expected hello, got close {first.get('code')}")
        assert json.loads(first["text"])["type"] == "hello", f"{said}: expected hello, got {first}"
        if row.hides or row.shows:
            await socket.send_json_to({"type": "resume", "after": 0})
            replay = str(await frames(socket, timeout=0.3))
            for state in row.hides.split():
                assert secret(state) not in replay, f"{said}: the replay carries {state}"
            for state in row.shows.split():
                assert secret(state) in replay, f"{said}: the replay lacks {state}"
        await socket.disconnect()

    async_to_sync(scenario)()


def test_the_world_has_every_role(world):
    assert set(world.people) | {"anonymous"} == set(ROLES)
