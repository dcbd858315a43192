"""Sending, editing, deleting, reading, leaving and reporting direct messages."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections
from django.http import Http404
from django.utils import timezone

from conversations import visibility as rules
from conversations.actions import messages as actions
from conversations.actions import safety
from conversations.models import DirectMessage, MessageRevision, Participant
from forum.models import Event
from tests.conversations.conftest import say

pytestmark = pytest.mark.django_db


def test_messages_take_the_conversations_seq_and_render_markdown(
    member, other_country_member, pair
):
    message = say(other_country_member, pair, "**bold** <script>x</script>")
    assert message.seq == 2
    assert "<strong>bold</strong>" in message.html
    assert "<script>" not in message.html
    pair.refresh_from_db()
    assert pair.last_seq == 2
    # One logged copy per participant, in their inbox streams, carrying the seq.
    logged = Event.objects.filter(type="dm.message", payload__id=message.pk)
    assert sorted(e.stream.key for e in logged) == sorted(
        [f"member:{member.pk}", f"member:{other_country_member.pk}"]
    )
    for event in logged:
        assert event.payload["conversation_seq"] == 2


def test_a_resend_with_the_same_client_id_stores_one_message(member, pair):
    first, created = actions.send_message(
        author=member, conversation=pair, body="Once", client_id="same"
    )
    again, created_again = actions.send_message(
        author=member, conversation=pair, body="Once", client_id="same"
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert DirectMessage.objects.filter(conversation=pair, client_id="same").count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_retries_store_one_row(make_member, legal):
    """Ten identical sends at the same moment, each on its own connection: one row, one
    seq, every caller gets that message back."""
    author = make_member(country="CN", groups=[legal])
    other = make_member(country="ZM", groups=[legal])
    conversation, _first = actions.start_conversation(
        author=author, recipients=[other], body="Start", client_id="start"
    )
    start = threading.Barrier(10)
    results, errors = [], []

    def send():
        try:
            start.wait(timeout=10)
            message, _created = actions.send_message(
                author=author, conversation=conversation, body="Retry me", client_id="retry-1"
            )
            results.append(message.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=send) for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    stored = DirectMessage.objects.filter(conversation=conversation, client_id="retry-1")
    assert stored.count() == 1
    assert set(results) == {stored.get().pk}
    assert list(
        DirectMessage.objects.filter(conversation=conversation).values_list("seq", flat=True)
    ) == [1, 2]


def test_a_non_participant_cannot_send(pair, make_member, legal):
    stranger = make_member(country="CN", groups=[legal])
    with pytest.raises(Http404):
        say(stranger, pair, "Let me in")


def test_bad_input_is_refused_with_a_clear_error(member, pair):
    for body, code in (("   ", "body_empty"), ("x" * 4001, "body_length"), ("a\x00", None)):
        with pytest.raises(ValidationError) as refused:
            say(member, pair, body)
        if code:
            assert refused.value.code == code
    with pytest.raises(ValidationError):
        actions.send_message(author=member, conversation=pair, body="x", client_id="bad id!")


def test_mentions_link_only_members_of_the_conversation(member, other_country_member, pair):
    message = say(member, pair, f"@{other_country_member.handle} and @nobody")
    assert f'href="/members/{other_country_member.handle}/"' in message.html
    assert "/members/nobody/" not in message.html


def test_quote_must_be_in_the_same_conversation(member, other_country_member, pair, make_member):
    quoted = say(other_country_member, pair, "Quote me")
    reply = say(member, pair, "Quoting", quote=quoted)
    assert reply.quote_id == quoted.pk
    third = make_member(country="KE", groups=[member.memberships.first().group])
    elsewhere, _m = actions.start_conversation(
        author=member, recipients=[third], body="Other", client_id="other"
    )
    with pytest.raises(ValidationError):
        say(member, elsewhere, "Wrong", quote=quoted)


def test_edit_within_fifteen_minutes_keeps_history_and_rewrites_the_log(member, pair):
    message = say(member, pair, "Frist")
    edited = actions.edit_message(author=member, message=message, body="First")
    assert edited.edited_at is not None
    assert list(MessageRevision.objects.filter(message=message).values_list("body", flat=True)) == [
        "Frist"
    ]
    logged = Event.objects.filter(type="dm.message", payload__id=message.pk)
    assert all("First" in e.payload["html"] for e in logged)
    DirectMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    message.refresh_from_db()
    with pytest.raises(PermissionDenied):
        actions.edit_message(author=member, message=message, body="Too late")


def test_only_the_author_edits_or_deletes(member, other_country_member, pair):
    message = say(member, pair, "Mine")
    with pytest.raises(PermissionDenied):
        actions.edit_message(author=other_country_member, message=message, body="Theirs")
    with pytest.raises(PermissionDenied):
        actions.delete_message(author=other_country_member, message=message)


def test_delete_for_everyone_removes_the_text_everywhere(member, other_country_member, pair):
    message = say(member, pair, "Regrettable words")
    actions.edit_message(author=member, message=message, body="Regrettable words, edited")
    actions.delete_message(author=member, message=message)
    message.refresh_from_db()
    assert message.deleted and message.body == "" and message.html == ""
    assert not MessageRevision.objects.filter(message=message).exists()
    assert not Event.objects.filter(payload__icontains="Regrettable").exists()
    deleted = Event.objects.filter(type="dm.deleted", payload__id=message.pk)
    assert deleted.count() == 2


def test_reading_moves_the_seat_and_tells_the_others(member, other_country_member, pair):
    say(other_country_member, pair, "Read me")
    assert rules.unread_count(member) == 1
    actions.mark_read(member=member, conversation=pair)
    assert rules.unread_count(member) == 0
    seen = Event.objects.get(stream__key=f"member:{other_country_member.pk}", type="dm.read")
    assert seen.payload["member"]["id"] == member.pk
    assert seen.payload["read_seq"] == 2


def test_muted_conversations_leave_the_badge(member, other_country_member, pair):
    say(other_country_member, pair, "Ping")
    actions.set_muted(member=member, conversation=pair, muted=True)
    assert rules.unread_count(member) == 0


def test_leaving_a_group_conversation(make_member, legal):
    a, b, c = (make_member(country=cc, groups=[legal]) for cc in ("CN", "ZM", "KE"))
    group, _m = actions.start_conversation(author=a, recipients=[b, c], body="Hi", client_id="g")
    actions.leave(member=c, conversation=group)
    with pytest.raises(Http404):
        rules.get_conversation_or_404(c, group.pk)
    message = say(a, group, "After")
    assert not Event.objects.filter(
        stream__key=f"member:{c.pk}", type="dm.message", payload__id=message.pk
    ).exists()


def test_two_member_conversations_cannot_be_left(member, pair):
    with pytest.raises(ValidationError):
        actions.leave(member=member, conversation=pair)


def test_a_report_copies_only_the_message_and_its_neighbours(member, other_country_member, pair):
    for n in range(1, 8):
        say(other_country_member if n % 2 else member, pair, f"Message number {n}")
    reported = DirectMessage.objects.get(conversation=pair, body="Message number 4")
    report = safety.report(reporter=other_country_member, message=reported, reason="Rude")
    texts = [item["html"] for item in report.context]
    assert len(texts) == 5
    for n, html in zip([2, 3, 4, 5, 6], texts, strict=True):
        assert f"Message number {n}" in html
    assert [item["reported"] for item in report.context] == [False, False, True, False, False]


def test_nobody_reports_their_own_message(member, pair):
    with pytest.raises(PermissionDenied):
        safety.report(reporter=member, message=pair.messages.get(seq=1), reason="x")


def test_retention_deletes_old_messages_and_their_logged_text(settings, member, pair):
    old = say(member, pair, "Ancient history")
    DirectMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    settings.DM_RETENTION_DAYS = None
    assert safety.apply_retention() == 0
    settings.DM_RETENTION_DAYS = 30
    from django.core.management import call_command

    call_command("apply_message_retention", verbosity=0)
    assert not DirectMessage.objects.filter(pk=old.pk).exists()
    assert not Event.objects.filter(payload__icontains="Ancient").exists()
    assert DirectMessage.objects.filter(conversation=pair).count() == 1


def test_a_seat_is_unique_per_member(pair, member):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(conversation=pair, member=member)


def test_a_send_costs_the_same_queries_for_two_members_or_ten(
    make_member, legal, member, pair, django_assert_num_queries
):
    """Checks (one query), seq, message, the author's read mark, unread counts and the
    two event rows, with the transaction's begin and end: nine, whoever is in it."""
    say(member, pair, "warm")  # rate-limit buckets exist
    with django_assert_num_queries(9):
        say(member, pair, "Two of us")
    others = [make_member(country="KE", groups=[legal]) for _ in range(9)]
    group, _first = actions.start_conversation(
        author=member, recipients=others, body="Ten of us", client_id="ten"
    )
    with django_assert_num_queries(9):
        message = say(member, group, "Still nine queries")
    assert message.seq == 2


def test_a_resend_after_a_block_still_answers_with_the_stored_message(
    member, other_country_member, pair
):
    from conversations.actions import safety

    first, created = actions.send_message(
        author=member, conversation=pair, body="Before", client_id="before-block"
    )
    safety.block(blocker=other_country_member, blocked=member)
    again, created_again = actions.send_message(
        author=member, conversation=pair, body="Before", client_id="before-block"
    )
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(rules.CannotMessage):
        actions.send_message(author=member, conversation=pair, body="After", client_id="new")
