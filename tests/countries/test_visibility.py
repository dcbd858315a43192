"""The visibility matrix of the risk database: role x country -> what each read path shows."""

from datetime import date

import pytest

from countries import pages
from countries import visibility as rules
from forum.models import Role
from tests.countries.helpers import publish, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def zambia(assessor, moderator, make_member, legal, start_thread):
    """ZM: one published and one pending assessment, a CN-only note and a note for all."""
    published = publish(assessor, moderator, "ZM", on=date(2026, 2, 1))
    pending = submit(assessor, "ZM", on=date(2026, 3, 1))
    chinese_author = make_member(country="CN", groups=[legal])
    cn_only = start_thread(
        chinese_author, title="CN only", audience="domestic", country_tags=["ZM"]
    )
    for_all = start_thread(chinese_author, title="For all", country_tags=["ZM"])
    return {"published": published, "pending": pending, "cn_only": cn_only, "for_all": for_all}


# role, country, legal-policy role (None: not in legal policy), staff
READERS = {
    "cn-member": ("CN", Role.MEMBER, False),
    "zm-member": ("ZM", Role.MEMBER, False),
    "ke-outsider": ("KE", None, False),
    "cn-moderator": ("CN", Role.MODERATOR, False),
    "zm-chair": ("ZM", Role.CHAIR, False),
    "staff": ("CN", None, True),
}
# reader -> (sees the pending assessment, notes seen)
EXPECTED = {
    "cn-member": (False, {"CN only", "For all"}),
    "zm-member": (False, {"For all"}),
    "ke-outsider": (False, set()),
    "cn-moderator": (True, {"CN only", "For all"}),
    "zm-chair": (True, {"For all"}),
    "staff": (True, {"CN only", "For all"}),
}


@pytest.mark.parametrize("name", list(READERS))
def test_each_reader_sees_what_their_role_and_country_allow(
    name, zambia, make_member, legal, promotion
):
    country, role, staff = READERS[name]
    groups = [legal] if role else [promotion]
    reader = make_member(country=country, groups=groups, role=role or Role.MEMBER, staff=staff)
    sees_pending, notes = EXPECTED[name]

    page = pages.country_page(reader, "ZM")
    assert page.current.assessment == zambia["published"]
    assert (zambia["pending"] in page.pending) is sees_pending
    assert {t.title for t in page.notes} == notes
    assert page.note_count == len(notes)  # counts cover only what the reader may see
    assert rules.visible_assessments(reader).filter(pk=zambia["pending"].pk).exists() is (
        sees_pending
    )

    mine = pages.report(reader, "ZM", 2026, "mine")
    assert {n.thread.title for n in mine.notes} == notes
    partners = pages.report(reader, "ZM", 2026, "partners")
    assert {n.thread.title for n in partners.notes} == {"For all"}  # never the CN-only note
    assert [e.assessment for e in partners.assessments] == [zambia["published"]]


def test_the_author_of_a_pending_assessment_sees_it_and_nobody_else_of_the_members(
    zambia, assessor, member
):
    assert rules.visible_assessments(assessor).filter(pk=zambia["pending"].pk).exists()
    assert not rules.visible_assessments(member).filter(pk=zambia["pending"].pk).exists()


def test_the_anonymous_see_nothing(zambia):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not rules.visible_assessments(anonymous).exists()
    assert not rules.partner_countries(anonymous).exists()


def test_a_country_limited_note_to_every_partner_counts_as_partner_wide(
    make_member, legal, start_thread
):
    from countries.reference import partner_codes

    author = make_member(country="CN", groups=[legal])
    start_thread(
        author,
        title="To every partner by name",
        audience="countries",
        countries=sorted(partner_codes()),
        country_tags=["ZM"],
    )
    start_thread(
        author,
        title="To two countries",
        audience="countries",
        countries=["ZM"],
        country_tags=["ZM"],
    )
    assert [t.title for t in rules.partner_wide_notes("ZM")] == ["To every partner by name"]


def test_a_note_for_all_partners_is_cross_border_and_waits_for_review(
    cross_border_review, member, other_country_member, moderator, start_thread
):
    from forum.actions import moderation
    from forum.models import Review

    note = start_thread(member, title="For all, pending", country_tags=["ZM"])
    domestic = start_thread(
        member, title="CN only, direct", audience="domestic", country_tags=["ZM"]
    )
    assert domestic.posts.get().status == "published"  # domestic: no review
    assert not rules.partner_wide_notes("ZM").exists()
    assert not rules.visible_notes(other_country_member, "ZM").exists()
    moderation.approve(
        moderator=moderator, review=Review.objects.get(post=note.posts.get(), state="open")
    )
    assert [t.title for t in rules.partner_wide_notes("ZM")] == ["For all, pending"]
    assert [t.title for t in rules.visible_notes(other_country_member, "ZM")] == [
        "For all, pending"
    ]
