"""The docking state machine as a table: state x action x actor -> allowed or refused.

Each case builds a docking in its state through the actions, then asks the action as
the actor. Allowed steps move the docking; refused ones raise with a message and
change nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects import machine
from projects.actions import dockings as actions
from projects.models import Docking, DockingState, DockingStep

S = DockingState
ACTORS = ("owner", "partner", "facilitator", "other_org", "non_member")
STATES = (S.INTERESTED, S.INTRODUCED, S.MEETING_REQUESTED, S.SCHEDULED, S.SIGNED, S.CLOSED)
AFTER_INTRO = {S.INTRODUCED, S.MEETING_REQUESTED, S.SCHEDULED}
OPEN = {S.INTERESTED} | AFTER_INTRO

# The rule, written out: action -> (states it may start from, actors allowed there).
# In "meeting requested" the partner asked (see `build`), so only the owner picks.
RULE = {
    "accept": ({S.INTERESTED}, {"owner"}),  # the partner accepted by expressing interest
    "decline": ({S.INTERESTED}, {"owner", "partner"}),
    "request_meeting": (AFTER_INTRO, {"owner", "partner"}),
    "pick_slot": ({S.MEETING_REQUESTED}, {"owner"}),
    "sign": (AFTER_INTRO, {"owner", "partner"}),
    "withdraw": (OPEN, {"owner", "partner"}),
    "not_a_fit": (OPEN, {"owner", "partner", "facilitator"}),
    "remind": (set(), set()),  # the scheduled jobs only
    "no_response": (set(), set()),
}


@pytest.fixture
def cast(owner, zm_member, facilitator, ke_member, outsider_ng):
    return {
        "owner": owner,
        "partner": zm_member,
        "facilitator": facilitator,
        "other_org": ke_member,
        "non_member": outsider_ng,
    }


def build(state: str, listing, cast) -> Docking:
    """A docking in `state`, made through the actions."""
    owner, partner = cast["owner"], cast["partner"]
    docking = actions.express_interest(member=partner, listing=listing, message="Interested.")
    if state == S.INTERESTED:
        return docking
    if state == S.CLOSED:
        return actions.close(actor=owner, docking=docking, action="decline")
    actions.accept(actor=owner, docking=docking)
    if state == S.INTRODUCED:
        return Docking.objects.get(pk=docking.pk)
    soon = timezone.now() + timedelta(days=3)
    actions.request_meeting(
        actor=partner, docking=docking, slots=[(soon, soon + timedelta(hours=1))]
    )
    if state == S.MEETING_REQUESTED:
        return Docking.objects.get(pk=docking.pk)
    slot = actions.current_slots(docking)[0]
    actions.pick_slot(actor=owner, docking=docking, slot_id=slot.pk)
    if state == S.SCHEDULED:
        return Docking.objects.get(pk=docking.pk)
    return actions.sign(actor=owner, docking=docking, signed_on=date.today(), kind="mou")


def perform(action: str, actor, docking: Docking) -> None:
    soon = timezone.now() + timedelta(days=5)
    if action == "accept":
        actions.accept(actor=actor, docking=docking)
    elif action in ("decline", "withdraw", "not_a_fit"):
        actions.close(actor=actor, docking=docking, action=action)
    elif action == "request_meeting":
        actions.request_meeting(
            actor=actor, docking=docking, slots=[(soon, soon + timedelta(hours=1))]
        )
    elif action == "pick_slot":
        slots = actions.current_slots(docking)
        actions.pick_slot(actor=actor, docking=docking, slot_id=slots[0].pk if slots else 1)
    elif action == "sign":
        actions.sign(actor=actor, docking=docking, signed_on=date.today(), kind="loi")
    else:
        from projects.visibility import docking_side

        machine.check(action, state=docking.state, side=docking_side(actor, docking))


CASES = [(state, action, actor) for state in STATES for action in RULE for actor in ACTORS]


@pytest.mark.parametrize(
    ("state", "action", "actor"), CASES, ids=[f"{s}-{a}-{r}" for s, a, r in CASES]
)
def test_docking_step_is_allowed_exactly_where_the_table_says(state, action, actor, listing, cast):
    docking = build(state, listing, cast)
    states, actors = RULE[action]
    allowed = state in states and actor in actors
    before = (docking.state, DockingStep.objects.filter(docking=docking).count())
    if allowed:
        perform(action, cast[actor], docking)
        after = Docking.objects.get(pk=docking.pk)
        assert DockingStep.objects.filter(docking=docking).count() > before[1]
        expected = {
            "accept": S.INTRODUCED,
            "decline": S.CLOSED,
            "withdraw": S.CLOSED,
            "not_a_fit": S.CLOSED,
            "request_meeting": S.MEETING_REQUESTED,
            "pick_slot": S.SCHEDULED,
            "sign": S.SIGNED,
        }[action]
        assert after.state == expected
    else:
        with pytest.raises((ValidationError, PermissionDenied)) as refused:
            perform(action, cast[actor], docking)
        message = (
            " ".join(refused.value.messages)
            if isinstance(refused.value, ValidationError)
            else str(refused.value)
        )
        assert message.strip(), "a refusal says why"
        after = Docking.objects.get(pk=docking.pk)
        assert (after.state, DockingStep.objects.filter(docking=docking).count()) == before


def test_the_machine_table_matches_the_written_rule():
    for action, (states, _actors) in RULE.items():
        assert machine.TABLE[action].sources == frozenset(states) or action in (
            "remind",
            "no_response",
        )


def test_an_illegal_step_says_what_state_the_docking_is_in(listing, cast):
    docking = build(S.INTERESTED, listing, cast)
    with pytest.raises(ValidationError, match="interested"):
        actions.sign(actor=cast["owner"], docking=docking, signed_on=date.today(), kind="mou")


def test_the_side_that_asked_for_a_meeting_cannot_pick_its_own_time(listing, cast):
    docking = build(S.MEETING_REQUESTED, listing, cast)
    slot = actions.current_slots(docking)[0]
    with pytest.raises(PermissionDenied, match="other organization picks"):
        actions.pick_slot(actor=cast["partner"], docking=docking, slot_id=slot.pk)


def test_an_organization_accepts_once(listing, cast):
    docking = actions.propose_introduction(
        facilitator=cast["facilitator"],
        listing=listing,
        organization=cast["partner"].organization,
    )
    actions.accept(actor=cast["owner"], docking=docking)
    with pytest.raises(ValidationError, match="already accepted"):
        actions.accept(actor=cast["owner"], docking=docking)
    assert Docking.objects.get(pk=docking.pk).state == S.INTERESTED
    actions.accept(actor=cast["partner"], docking=docking)
    docking.refresh_from_db()
    assert docking.state == S.INTRODUCED
    assert docking.introduced_at is not None
    assert list(docking.steps.values_list("action", flat=True)) == [
        "propose",
        "accept",
        "accept",
        "introduced",
    ]
