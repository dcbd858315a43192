from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from countries.actions import follows
from countries.digests import followed_countries
from countries.models import Country, CountryFollow
from forum import digests, inbox
from forum.models import Notification
from tests.conftest import client_for
from tests.countries.helpers import publish, submit

pytestmark = pytest.mark.django_db


def follow(member, code="KE"):
    follows.set_follow(member=member, country=Country(code=code), follow=True)


def test_a_member_follows_and_unfollows_a_country_from_its_page(member):
    client = client_for(member)
    client.post(reverse("countries:follow", args=["KE"]), {"follow": "1"})
    assert CountryFollow.objects.filter(member=member, country="KE").exists()
    page = client.get(reverse("countries:country", args=["KE"])).content.decode()
    assert "Stop following" in page
    client.post(reverse("countries:follow", args=["KE"]), {"follow": "0"})
    assert not CountryFollow.objects.filter(member=member).exists()


def test_a_published_assessment_reaches_the_followers_inbox_once(
    assessor, moderator, member, outsider, django_capture_on_commit_callbacks
):
    follow(member)
    follow(outsider, "ZM")
    assessment = submit(assessor)
    assert not Notification.objects.filter(kind="country").exists()  # pending: nothing yet
    from countries.actions import assessments

    with django_capture_on_commit_callbacks(execute=True):
        assessments.approve_assessment(moderator=moderator, assessment=assessment)
    told = Notification.objects.get(kind="country")
    assert told.recipient == member and told.data["assessment"] == assessment.pk
    assert follows.notify_followers(assessment.pk) == []  # idempotent
    [item] = inbox.items(member, inbox.notifications_for(member))
    assert item.url == "/countries/KE/"
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "A new risk assessment of KE was published." in page


def test_a_new_note_reaches_followers_who_may_read_it(
    start_thread,
    member,
    other_country_member,
    make_member,
    legal,
    django_capture_on_commit_callbacks,
):
    from forum.models import Role

    kenyan = make_member(country="KE", groups=[legal], role=Role.MEMBER)
    for reader in (other_country_member, kenyan):
        follow(reader, "ZM")
    author = make_member(country="ZM", groups=[legal])
    with django_capture_on_commit_callbacks(execute=True):
        start_thread(
            author, title="Domestic note on Zambia", audience="domestic", country_tags=["ZM"]
        )
    assert list(
        Notification.objects.filter(kind="country").values_list("recipient", flat=True)
    ) == [other_country_member.pk]
    with django_capture_on_commit_callbacks(execute=True):
        start_thread(author, title="Note for all partners", country_tags=["ZM"])
    assert Notification.objects.filter(kind="country", recipient=kenyan).count() == 1


def test_the_digest_lists_new_assessments_and_readable_notes_of_followed_countries(
    assessor, moderator, member, other_country_member, start_thread
):
    follow(member, "ZM")
    follow(other_country_member, "ZM")
    since = timezone.now() - timedelta(hours=1)
    publish(assessor, moderator, "ZM")
    start_thread(member, title="CN-only note on Zambia", audience="domestic", country_tags=["ZM"])
    until = timezone.now() + timedelta(seconds=1)
    sections = followed_countries(
        [member, other_country_member],
        {member.pk: since, other_country_member.pk: since},
        until,
    )
    cn = [i.text for i in sections[member.pk].items]
    zm = [i.text for i in sections[other_country_member.pk].items]
    assert any("New risk assessment: ZM" in t for t in cn) and any("CN-only" in t for t in cn)
    assert any("New risk assessment: ZM" in t for t in zm)
    assert not any("CN-only" in t for t in zm)
    assert followed_countries in digests.EXTRA_SECTIONS


def test_the_digest_section_runs_a_constant_number_of_queries(
    assessor, moderator, make_member, legal, django_assert_num_queries
):
    members = [make_member(country="ZM", groups=[legal]) for _ in range(2)]
    for m in members:
        follow(m, "ZM")
    since = {m.pk: timezone.now() - timedelta(hours=1) for m in members}
    publish(assessor, moderator, "ZM")
    until = timezone.now() + timedelta(seconds=1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        followed_countries(members, since, until)
    more = [make_member(country="KE", groups=[legal]) for _ in range(5)]
    for m in more:
        follow(m, "ZM")
        since[m.pk] = timezone.now() - timedelta(hours=1)
    with CaptureQueriesContext(connection) as many:
        followed_countries(members + more, since, until)
    assert len(many) == len(few)


def test_a_followers_digest_email_carries_the_countries_section(
    assessor, moderator, member, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accounts.models import Member

    follow(member, "ZM")
    Member.objects.filter(pk=member.pk).update(digest_hour=0, time_zone="UTC")
    publish(assessor, moderator, "ZM")
    digests.run(now=timezone.now() + timedelta(seconds=1))
    [message] = [m for m in mail.outbox if m.to == [member.email]]
    assert "Countries you follow" in message.body
    assert "New risk assessment: ZM" in message.body
