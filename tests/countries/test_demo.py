from io import StringIO

import pytest
from django.core.management import call_command

from countries.models import Assessment
from forum.models import Thread

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())


def test_seed_demo_adds_labelled_assessments_with_history_and_two_notes_once():
    seed()
    seed()
    demo = Assessment.objects.filter(status="published")
    assert sorted(set(demo.values_list("country", flat=True))) == ["CN", "EG", "KE", "ZM"]
    assert all(a.summary == "Demo, not a real assessment." for a in demo)
    assert demo.filter(country="KE").count() == 2  # with history
    assert demo.count() == 7
    notes = Thread.objects.filter(group__slug="legal-policy", title__startswith="Demo note")
    assert sorted(notes.values_list("audience", flat=True)) == ["domestic", "group"]
    assert all(n.posts.get().status == "published" for n in notes)
