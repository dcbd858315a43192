import pytest

from countries.reference import forget_partners
from forum.models import Role


@pytest.fixture(autouse=True)
def _fresh_partner_cache():
    """The partner cache outlives a test's rolled-back transaction: start and end clean."""
    forget_partners()
    yield
    forget_partners()


@pytest.fixture
def assessor(make_member, legal):
    """A trusted member of legal policy, from Kenya: writes assessments."""
    return make_member(country="KE", groups=[legal], role=Role.TRUSTED)


@pytest.fixture
def second_moderator(make_member, legal):
    return make_member(country="ZM", groups=[legal], role=Role.MODERATOR, mfa=True)


@pytest.fixture(autouse=True)
def _many_writes(settings):
    """These tests write many assessments and notes a minute; the rate limit has its own tests."""
    settings.FORUM_POSTS_PER_MINUTE = 10_000
