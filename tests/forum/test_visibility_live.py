"""The live fan-out's shortcut agrees with the per-socket audience check."""

from __future__ import annotations

import itertools

from forum.visibility import Reader, may_receive, reaches_every_reader

AUDIENCES = [
    {"countries": countries, "moderators": moderators, "members": members}
    for countries, moderators, members in itertools.product(
        [None, [], ["CN"], ["CN", "KE"]], [False, True], [[], [1], [2]]
    )
]
READERS = [
    Reader(member_id=member_id, country=country, staff=staff, moderator=moderator)
    for member_id, country, staff, moderator in itertools.product(
        [1, 2, 3], ["CN", "KE", "FR"], [False, True], [False, True]
    )
]


def test_an_event_for_every_reader_passes_every_readers_check():
    """When the shortcut says everyone, may_receive says yes to every kind of reader."""
    for audience in AUDIENCES:
        if reaches_every_reader(audience):
            assert all(may_receive(audience, reader) for reader in READERS), audience


def test_restricted_events_never_take_the_shortcut():
    """Domestic, pending and rejected events are checked socket by socket."""
    for audience in AUDIENCES:
        if audience["countries"] is not None or audience["moderators"]:
            assert not reaches_every_reader(audience)
