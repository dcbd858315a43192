"""Named fixtures that make tests read like sentences."""

from __future__ import annotations

import os
import shutil

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import Member, Organization
from forum.models import Membership, ModerationPolicy, Role, WorkingGroup
from tests.servers import PrivateRedis

# Shared fixtures of the meeting tests (schedule, meeting, live_meeting) and a real
# SMTP server (smtp_server).
pytest_plugins = ["tests.forum.meeting_fixtures", "tests.mail_fixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery-staple"


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; in CI a missing real part is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: real parts are required)")
    pytest.skip(reason)


def create_member(
    n: int,
    *,
    country: str = "CN",
    groups: list[WorkingGroup] | tuple = (),
    role: str = Role.MEMBER,
    staff: bool = False,
    verified: bool = True,
    mfa: bool = False,
    email: str | None = None,
    **fields,
) -> Member:
    """Create member number `n` with a verified address, memberships and, if asked, MFA.

    `make_member` numbers them per test; a module-wide world numbers them itself.
    """
    email = email or f"person{n}.{country.lower()}@example.org"
    organization, _ = Organization.objects.get_or_create(
        name=f"Org {country}", defaults={"country": country}
    )
    member = Member.objects.create_user(
        email,
        PASSWORD,
        display_name=fields.pop("display_name", f"Person {n} {country}"),
        handle=fields.pop("handle", f"person-{n}"),
        country=country,
        organization=organization,
        is_staff=staff,
        **fields,
    )
    EmailAddress.objects.create(user=member, email=email, verified=verified, primary=True)
    for group in groups:
        Membership.objects.create(member=member, group=group, role=role)
    if mfa:
        Authenticator.objects.create(
            user=member, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
        )
    return member


@pytest.fixture
def make_member(db):
    counter = {"n": 0}

    def make(**fields) -> Member:
        counter["n"] += 1
        return create_member(counter["n"], **fields)

    return make


def working_group(slug: str, policy: str = ModerationPolicy.OFF) -> WorkingGroup:
    """Return a group created by the data migration (recreated after a flush).

    Its pre-moderation is off unless asked for: most tests are about something
    else; the moderation tests switch it on with `cross_border_review`.
    """
    from importlib import import_module

    groups = import_module("forum.migrations.0002_working_groups").GROUPS
    name, description = next((n, d) for s, n, d in groups if s == slug)
    group = WorkingGroup.objects.get_or_create(
        slug=slug, defaults={"name": name, "description": description}
    )[0]
    if group.moderation_policy != policy:
        group.moderation_policy = policy
        group.save(update_fields=["moderation_policy"])
    return group


@pytest.fixture
def legal(db) -> WorkingGroup:
    return working_group("legal-policy")


@pytest.fixture
def cross_border_review(legal) -> WorkingGroup:
    """Legal policy with its default policy: cross-border posts by members wait for review."""
    legal.moderation_policy = ModerationPolicy.CROSS_BORDER
    legal.save(update_fields=["moderation_policy"])
    return legal


@pytest.fixture
def promotion(db) -> WorkingGroup:
    return working_group("project-promotion")


@pytest.fixture
def member(make_member, legal) -> Member:
    """A plain member of the legal-policy group, from China."""
    return make_member(country="CN", groups=[legal])


@pytest.fixture
def other_country_member(make_member, legal) -> Member:
    """A plain member of the legal-policy group, from Zambia."""
    return make_member(country="ZM", groups=[legal])


@pytest.fixture
def outsider(make_member, promotion) -> Member:
    """Belongs to project promotion only."""
    return make_member(country="KE", groups=[promotion])


@pytest.fixture
def moderator(make_member, legal) -> Member:
    return make_member(country="KE", groups=[legal], role=Role.MODERATOR, mfa=True)


@pytest.fixture
def chair(make_member, legal) -> Member:
    return make_member(country="EG", groups=[legal], role=Role.CHAIR, mfa=True)


@pytest.fixture
def chair_without_mfa(make_member, legal) -> Member:
    return make_member(country="EG", groups=[legal], role=Role.CHAIR, mfa=False)


@pytest.fixture
def staff(make_member) -> Member:
    return make_member(country="CN", staff=True, mfa=True)


def client_for(member: Member | None) -> Client:
    client = Client()
    if member is not None:
        client.force_login(member)
    return client


@pytest.fixture
def member_client(member) -> Client:
    return client_for(member)


@pytest.fixture
def chair_client(chair) -> Client:
    return client_for(chair)


@pytest.fixture
def anonymous_client(db) -> Client:
    return Client()


@pytest.fixture(autouse=True)
def default_language():
    """Django's LocaleMiddleware leaves the last request's language active in the thread;
    each test starts from the default, as a fresh server thread would."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits live in the cache; each test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_report_header(config) -> list[str]:
    from django.conf import settings

    return [
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}"
    ]


@pytest.fixture
def start_thread(legal):
    """Start a thread through the action, the way every view does."""
    from forum.actions import threads

    def start(
        author,
        *,
        group=None,
        title="Mining code changes in Zambia",
        body="What changed?",
        audience="group",
        countries=(),
        topics=(),
        country_tags=(),
    ):
        return threads.create_thread(
            author=author,
            group=group or legal,
            title=title,
            body=body,
            audience=audience,
            countries=countries,
            topics=topics,
            country_tags=country_tags,
        )

    return start


@pytest.fixture
def thread(start_thread, member):
    """A thread for the whole legal-policy group, started by `member`."""
    return start_thread(member)


@pytest.fixture
def domestic_thread(start_thread, member):
    """A thread only members in China (the author's country) may read."""
    return start_thread(member, title="Domestic notes", audience="domestic")


@pytest.fixture
def posting_unlimited(settings):
    settings.FORUM_POSTS_PER_MINUTE = 10_000


def pytest_collection_modifyitems(config, items) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running in the
    main thread for the rest of the session, which async tests cannot share."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))


@pytest.fixture
def private_redis():
    """A redis-server of our own, which a test may stop and start without harming others."""
    if not (shutil.which("redis-server") or os.path.exists("/usr/sbin/redis-server")):
        skip_or_fail("redis-server not installed")
    redis = PrivateRedis().start()
    yield redis
    redis.stop()
