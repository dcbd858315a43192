"""The docking state machine: which action may move a docking from which state, by whom.

One table, read by the actions (to refuse), the pages (to offer only legal buttons)
and the tests (state x action x actor). Sides: "owner" (the listing's organization),
"partner" (the interested organization), "facilitator" (the group's moderators and
chairs, and staff), "system" (the scheduled jobs). "other" means the side that did
not ask for the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects.models import CloseReason, DockingState

S = DockingState


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    actors: frozenset[str]
    # The state it leads to; None: decided by the action (accept waits for both sides).
    target: str | None
    close_reason: str = ""


def _t(sources, actors, target, reason="") -> Transition:
    return Transition(frozenset(sources), frozenset(actors.split()), target, reason)


OPEN = (S.INTERESTED, S.INTRODUCED, S.MEETING_REQUESTED, S.SCHEDULED)
AFTER_INTRODUCTION = (S.INTRODUCED, S.MEETING_REQUESTED, S.SCHEDULED)

TABLE: dict[str, Transition] = {
    "accept": _t([S.INTERESTED], "owner partner", None),
    "decline": _t([S.INTERESTED], "owner partner", S.CLOSED, CloseReason.DECLINED),
    "request_meeting": _t(AFTER_INTRODUCTION, "owner partner", S.MEETING_REQUESTED),
    "pick_slot": _t([S.MEETING_REQUESTED], "other", S.SCHEDULED),
    "sign": _t(AFTER_INTRODUCTION, "owner partner", S.SIGNED),
    "withdraw": _t(OPEN, "owner partner", S.CLOSED, CloseReason.WITHDRAWN),
    "not_a_fit": _t(OPEN, "owner partner facilitator", S.CLOSED, CloseReason.NOT_A_FIT),
    "remind": _t([S.INTERESTED], "system", S.INTERESTED),
    "no_response": _t([S.INTERESTED], "system", S.CLOSED, CloseReason.NO_RESPONSE),
}

# The two ways a docking starts (no earlier state): a member of another organization
# expresses interest, or a facilitator proposes an introduction.
STARTS = {"express_interest": "member", "propose": "facilitator"}

ACTION_LABELS = {
    "express_interest": gettext_lazy("expressed interest"),
    "propose": gettext_lazy("proposed an introduction"),
    "accept": gettext_lazy("accepted the introduction"),
    "introduced": gettext_lazy("made the introduction: both organizations accepted"),
    "decline": gettext_lazy("declined"),
    "request_meeting": gettext_lazy("proposed meeting times"),
    "pick_slot": gettext_lazy("picked a meeting time"),
    "sign": gettext_lazy("recorded a signed agreement"),
    "withdraw": gettext_lazy("withdrew"),
    "not_a_fit": gettext_lazy("closed as not a fit"),
    "remind": gettext_lazy("reminder sent: no answer yet"),
    "no_response": gettext_lazy("closed: no response"),
}

ACTION_VERBS = {
    "accept": gettext_lazy("accept"),
    "decline": gettext_lazy("decline"),
    "request_meeting": gettext_lazy("propose meeting times"),
    "pick_slot": gettext_lazy("pick a meeting time"),
    "sign": gettext_lazy("record an agreement"),
    "withdraw": gettext_lazy("withdraw"),
    "not_a_fit": gettext_lazy("close as not a fit"),
    "remind": gettext_lazy("send a reminder"),
    "no_response": gettext_lazy("close for no response"),
}


def actor_allowed(transition: Transition, side: str | None, *, meeting_requested_by: str) -> bool:
    if side is None:
        return False
    if "other" in transition.actors:
        return side in ("owner", "partner") and side != meeting_requested_by
    return side in transition.actors


def check(action: str, *, state: str, side: str | None, meeting_requested_by: str = "") -> None:
    """Refuse an illegal step (ValidationError) or a wrong actor (PermissionDenied),
    each with a message a member understands."""
    transition = TABLE.get(action)
    if transition is None:
        raise ValidationError(_("Unknown step."), code="unknown")
    if state not in transition.sources:
        raise ValidationError(
            _("You cannot %(action)s: this docking is %(state)s.")
            % {"action": ACTION_VERBS[action], "state": DockingState(state).label},
            code="illegal",
        )
    if not actor_allowed(transition, side, meeting_requested_by=meeting_requested_by):
        if "other" in transition.actors and side in ("owner", "partner"):
            message = _("The other organization picks one of the times you proposed.")
        else:
            message = _("You may not %(action)s in this docking.") % {
                "action": ACTION_VERBS[action]
            }
        raise PermissionDenied(message)


def allowed_actions(*, state: str, side: str | None, meeting_requested_by: str = "") -> list[str]:
    """Return the actions `side` may take now, in table order (for the page's buttons)."""
    return [
        action
        for action, transition in TABLE.items()
        if state in transition.sources
        and "system" not in transition.actors
        and actor_allowed(transition, side, meeting_requested_by=meeting_requested_by)
    ]
