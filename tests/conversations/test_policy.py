"""Who may write to whom, per DM_POLICY and shared groups; nobody learns who exists."""

from __future__ import annotations

import pytest
from django.http import Http404

from conversations import visibility as rules
from conversations.actions import messages as actions
from conversations.actions import safety
from forum import prepared
from tests.conversations.conftest import say

pytestmark = pytest.mark.django_db


def start(author, *recipients, body="Hi"):
    return actions.start_conversation(
        author=author, recipients=list(recipients), body=body, client_id=f"s-{author.pk}"
    )


@pytest.mark.parametrize(
    ("policy", "same_group_other_country", "same_group_same_country", "no_shared_group"),
    [
        ("shared group", True, True, False),
        ("same group only", True, True, False),
        ("same country only", False, True, False),
        ("off", False, False, False),
    ],
)
def test_policy_matrix(
    settings,
    make_member,
    legal,
    promotion,
    policy,
    same_group_other_country,
    same_group_same_country,
    no_shared_group,
):
    """Each policy admits exactly the pairs it names; nobody outside a shared group."""
    settings.DM_POLICY = policy
    sender = make_member(country="CN", groups=[legal])
    expected = {
        make_member(country="ZM", groups=[legal]).pk: same_group_other_country,
        make_member(country="CN", groups=[legal]).pk: same_group_same_country,
        make_member(country="CN", groups=[promotion]).pk: no_shared_group,
    }
    allowed = set(rules.messageable_members(sender).values_list("pk", flat=True))
    assert {pk: pk in allowed for pk in expected} == expected
    from accounts.models import Member

    for pk, ok in expected.items():
        recipient = Member.objects.get(pk=pk)
        if ok:
            conversation, message = start(sender, recipient)
            assert message.seq == 1
            conversation.delete()
        else:
            with pytest.raises((Http404, rules.CannotMessage)):
                start(sender, recipient)


def test_an_unseen_member_is_refused_like_a_missing_one(member, outsider):
    """Someone the sender cannot see raises Http404, exactly as for no one at all."""
    with pytest.raises(Http404):
        start(member, outsider)


def test_same_group_only_needs_one_group_common_to_everyone(
    settings, make_member, legal, promotion
):
    settings.DM_POLICY = "same group only"
    sender = make_member(country="CN", groups=[legal, promotion])
    in_legal = make_member(country="ZM", groups=[legal])
    in_promotion = make_member(country="KE", groups=[promotion])
    with pytest.raises(rules.CannotMessage):
        start(sender, in_legal, in_promotion)
    settings.DM_POLICY = "shared group"
    conversation, _message = start(sender, in_legal, in_promotion)
    assert conversation.is_group


def test_a_conversation_has_at_most_ten_members(make_member, legal):
    sender = make_member(country="CN", groups=[legal])
    others = [make_member(country="ZM", groups=[legal]) for _ in range(10)]
    with pytest.raises(rules.CannotMessage):
        start(sender, *others)
    conversation, _message = start(sender, *others[:9])
    assert conversation.participants.count() == 10


def test_a_blocked_member_only_learns_they_cannot_message(member, other_country_member, pair):
    """After a block, the blocked member's sends and new conversations are refused with
    "cannot message this member", and nothing else tells them about the block."""
    safety.block(blocker=other_country_member, blocked=member)
    with pytest.raises(rules.CannotMessage) as refused:
        say(member, pair, "Are you there?")
    assert refused.value.code == "cannot_message"
    assert "cannot message this member" in " ".join(refused.value.messages)
    with pytest.raises(rules.CannotMessage):
        start(member, other_country_member)
    # The blocked member still finds the blocker in lists (a missing name would tell).
    assert rules.messageable_members(member).filter(pk=other_country_member.pk).exists()
    safety.unblock(blocker=other_country_member, blocked=member)
    assert say(member, pair, "Hello again").seq == 2


def test_in_a_group_conversation_the_blocker_just_does_not_receive(make_member, legal):
    from forum.models import Event

    a, b, c = (make_member(country=cc, groups=[legal]) for cc in ("CN", "ZM", "KE"))
    conversation, _first = start(a, b, c)
    safety.block(blocker=c, blocked=a)
    message = say(a, conversation, "Second")
    logged = set(
        Event.objects.filter(type="dm.message", payload__id=message.pk).values_list(
            "stream__key", flat=True
        )
    )
    assert logged == {f"member:{a.pk}", f"member:{b.pk}"}
    assert not rules.visible_messages(c, conversation).filter(pk=message.pk).exists()


def test_moderators_and_staff_get_no_access(pair, moderator, staff):
    for viewer in (moderator, staff):
        with pytest.raises(Http404):
            rules.get_conversation_or_404(viewer, pair.pk)
        assert not rules.visible_messages(viewer, pair).exists()


def test_rate_limit_on_new_conversations(settings, make_member, legal):
    settings.DM_CONVERSATIONS_PER_HOUR = 2
    sender = make_member(country="CN", groups=[legal])
    others = [make_member(country="ZM", groups=[legal]) for _ in range(3)]
    for n, other in enumerate(others[:2]):
        actions.start_conversation(author=sender, recipients=[other], body="x", client_id=f"{n}")
    from forum.limits import RateLimited

    with pytest.raises(RateLimited):
        actions.start_conversation(author=sender, recipients=[others[2]], body="x", client_id="9")


def test_rate_limit_on_messages(settings, member, pair):
    settings.DM_MESSAGES_PER_MINUTE = 3
    from forum.limits import RateLimited

    say(member, pair, "1")
    say(member, pair, "2")
    with pytest.raises(RateLimited):
        say(member, pair, "4")


def test_the_send_check_follows_the_senders_country_under_same_country_only(
    settings, make_member, legal
):
    """The check's SQL is built once per policy and sender fields: a sender who moves to
    another country gets the other country's answer, not the one built before."""
    settings.DM_POLICY = "same country only"
    sender = make_member(country="CN", groups=[legal])
    chinese = make_member(country="CN", groups=[legal])
    conversation, _first = start(sender, chinese)
    assert set(rules.check_may_send(sender, conversation)) == {sender.pk, chinese.pk}
    sender.country = "ZM"
    sender.save()
    with pytest.raises(rules.CannotMessage):
        rules.check_may_send(sender, conversation)
    other_sender = make_member(country="CN", groups=[legal])  # same shape, another id
    other, _first = start(other_sender, chinese)
    assert set(rules.check_may_send(other_sender, other)) == {other_sender.pk, chinese.pk}


def test_the_send_check_fails_loudly_if_the_rule_reads_an_undeclared_sender_field(
    settings, monkeypatch, make_member, legal
):
    """Under "same country only" the rule reads the sender's country: a shape key that
    left it out would serve one country's answer to another, so building refuses."""
    settings.DM_POLICY = "same country only"
    sender = make_member(country="CN", groups=[legal])
    conversation, _first = start(sender, make_member(country="CN", groups=[legal]))
    monkeypatch.setattr(prepared, "VIEWER_FIELDS", ("is_active", "is_staff"))
    with pytest.raises(type(sender).DoesNotExist):
        rules.check_may_send(sender, conversation)
