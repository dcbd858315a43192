"""Create demo members in four countries with every role in every group.

Prints one tab-separated line per account: email, role, country, groups.
Running it again changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import Member, Organization
from forum.models import Membership, Role, WorkingGroup

DEFAULT_PASSWORD = "forum-demo-2026"  # noqa: S105 - printed for the demo on purpose

COUNTRIES = {
    "CN": ("China office", "Asia/Shanghai", "zh-hans"),
    "ZM": ("Zambia Development Agency", "Africa/Lusaka", "en"),
    "KE": ("Kenya Investment Authority", "Africa/Nairobi", "en"),
    "EG": ("Egypt Trade Point", "Africa/Cairo", "ar"),
}
ROLE_LABELS = {
    Role.CHAIR: "Chair",
    Role.MODERATOR: "Moderator",
    Role.TRUSTED: "Trusted",
    Role.MEMBER: "Member",
}


def demo_accounts() -> list[dict[str, str]]:
    """Return the demo accounts in a stable order."""
    accounts = []
    for country, (_org, zone, language) in COUNTRIES.items():
        for role in (Role.CHAIR, Role.MODERATOR, Role.TRUSTED, Role.MEMBER):
            accounts.append(
                {
                    "email": f"{role.value}.{country.lower()}@demo.example",
                    "handle": f"{role.value}-{country.lower()}",
                    "display_name": f"{ROLE_LABELS[role]} {country}",
                    "role": role.value,
                    "country": country,
                    "time_zone": zone,
                    "language": language,
                }
            )
    return accounts


DEMO_THREADS = [
    {
        "group": "legal-policy",
        "author": "member.zm@demo.example",
        "title": "Mining code amendments in Zambia: what changed in 2026?",
        "body": "The amended **Mines and Minerals Development Act** is in force. "
        "Which parts matter most for partners?\n\n"
        "| Topic | Before | After |\n|---|---|---|\n| Royalty | 5% | 6% |",
        "audience": "group",
        "countries": [],
        "replies": [
            ("chair.cn@demo.example", None, "Thank you. Could you share the official gazette?"),
            ("member.zm@demo.example", 0, "Here it is: https://www.parliament.gov.zm/"),
            # Left waiting, so that the review queue has something to show.
            ("member.eg@demo.example", None, "WAIT:Egypt's new investment law has similar rules."),
        ],
    },
    {
        "group": "legal-policy",
        "author": "member.cn@demo.example",
        "title": "境外投资备案流程（仅限中国成员）",
        "body": "请各单位在月底前提交**备案材料**。",
        "audience": "domestic",
        "countries": [],
        "replies": [("trusted.cn@demo.example", None, "收到，谢谢。")],
    },
    {
        "group": "legal-policy",
        "author": "member.cn@demo.example",
        "title": "中非法律合作：投资风险提示",
        "body": "本帖汇总中非法律合作中的**投资风险**：外汇管制、矿业法修订和劳动法要求。",
        "audience": "group",
        "countries": [],
        "replies": [
            (
                "member.eg@demo.example",
                None,
                "نرحب بالتعاون القانوني بين الصين وأفريقيا، ولدينا ملاحظات حول قانون الاستثمار.",
            ),
            (
                "member.ke@demo.example",
                None,
                "La coopération juridique progresse : le nouveau code minier précise les règles.",
            ),
        ],
    },
    {
        "group": "project-promotion",
        "author": "trusted.ke@demo.example",
        "title": "Solar mini-grids: looking for partners in Kenya and Egypt",
        "body": "We are preparing a docking session for solar mini-grid projects.",
        "audience": "countries",
        "countries": ["EG"],
        "replies": [("moderator.eg@demo.example", None, "Interested — let us talk.")],
    },
]


def _approve_as_demo_moderator(post) -> None:
    """Approve a pending demo post as a moderator from another country (four-eyes: two)."""
    from forum.actions import moderation
    from forum.models import PostStatus, Review

    countries = [c for c in COUNTRIES if c != post.author.country.code]
    while post.status == PostStatus.PENDING:
        review = Review.objects.get(post=post, state=Review.State.OPEN)
        moderator = Member.objects.get(email=f"moderator.{countries.pop(0).lower()}@demo.example")
        moderation.approve(moderator=moderator, review=review)
        post.refresh_from_db()


def seed_threads() -> None:
    """Start the demo threads once, through the same actions the pages use. Posts that
    wait for review are approved by a demo moderator, except those marked WAIT:."""
    from forum.actions import threads as actions
    from forum.models import Thread

    for spec in DEMO_THREADS:
        group = WorkingGroup.objects.get(slug=spec["group"])
        if Thread.objects.filter(group=group, title=spec["title"]).exists():
            continue
        thread = actions.create_thread(
            author=Member.objects.get(email=spec["author"]),
            group=group,
            title=spec["title"],
            body=spec["body"],
            audience=spec["audience"],
            countries=spec["countries"],
        )
        posts = [thread.posts.get()]
        _approve_as_demo_moderator(posts[0])
        for email, parent_index, body in spec["replies"]:
            parent = posts[0] if parent_index is None else posts[parent_index + 1]
            wait = body.startswith("WAIT:")
            post = actions.reply(
                author=Member.objects.get(email=email),
                parent=parent,
                body=body.removeprefix("WAIT:"),
            )
            if not wait:
                _approve_as_demo_moderator(post)
            posts.append(post)


DEMO_MEETING = {
    "group": "meetings",
    "organizer": "chair.cn@demo.example",
    "title": "Online session: preparing the annual forum meeting",
    "agenda": "1. Dates and venue of the annual forum\n"
    "2. Delegations from each country\n"
    "3. Visits to partner projects",
    "link": "https://meet.example.org/annual-forum",
}


def seed_meeting() -> None:
    """Schedule the demo meeting once: tomorrow 10:00 in the organizer's zone, one hour."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from forum.actions import meetings as actions
    from forum.models import Meeting

    group = WorkingGroup.objects.get(slug=DEMO_MEETING["group"])
    if Meeting.objects.filter(group=group, title=DEMO_MEETING["title"]).exists():
        return
    organizer = Member.objects.get(email=DEMO_MEETING["organizer"])
    zone = ZoneInfo(organizer.time_zone)
    tomorrow = timezone.localtime(timezone.now(), zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10, 0), tzinfo=zone)
    actions.schedule_meeting(
        organizer=organizer,
        group=group,
        title=DEMO_MEETING["title"],
        agenda=DEMO_MEETING["agenda"],
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link=DEMO_MEETING["link"],
        time_zone=organizer.time_zone,
    )


# Under the reserved .invalid domain (RFC 6761): every delivery is attempted, refused
# at DNS, logged and retried on the schedule, so a chair sees attempts and retries in
# the endpoint's log. docs/webhooks.md says how to point it at a real receiver.
DEMO_WEBHOOK = {
    "group": "legal-policy",
    "chair": "chair.cn@demo.example",
    "name": "Demo endpoint (example only, receives nothing)",
    "url": "https://receiver.demo.invalid/webhooks/forum",
}


def seed_webhook() -> None:
    """Add the demo Standard Webhooks endpoint to the legal-policy group once, as its
    chair, before the demo threads so that their events are delivered to it."""
    from webhooks.actions import endpoints as actions
    from webhooks.models import Endpoint, Format

    group = WorkingGroup.objects.get(slug=DEMO_WEBHOOK["group"])
    if Endpoint.objects.filter(group=group, name=DEMO_WEBHOOK["name"]).exists():
        return
    actions.create_endpoint(
        actor=Member.objects.get(email=DEMO_WEBHOOK["chair"]),
        group=group,
        name=DEMO_WEBHOOK["name"],
        url=DEMO_WEBHOOK["url"],
        format_=Format.STANDARD,
    )


def seed_conversation() -> None:
    """Start the demo conversation once: a Zambian member asks a Chinese member."""
    from conversations.actions import messages as actions
    from conversations.models import DirectMessage

    if DirectMessage.objects.filter(client_id="demo-dm-1").exists():
        return
    asker = Member.objects.get(email="member.zm@demo.example")
    answerer = Member.objects.get(email="member.cn@demo.example")
    conversation, _first = actions.start_conversation(
        author=asker,
        recipients=[answerer],
        body="Hello! After the meeting: is the **solar project** still looking for partners?",
        client_id="demo-dm-1",
    )
    actions.send_message(
        author=answerer,
        conversation=conversation,
        body="Yes. Let us talk this week; what time suits you in Lusaka?",
        client_id="demo-dm-2",
    )


class Command(BaseCommand):
    help = "Create demo members (idempotent) and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="Password for newly created demo accounts (existing ones keep theirs).",
        )

    def handle(self, *args, password: str, **options) -> None:
        from allauth.account.models import EmailAddress

        groups = list(WorkingGroup.objects.order_by("slug"))
        slugs = ",".join(group.slug for group in groups)
        with transaction.atomic():
            organizations = {
                country: Organization.objects.get_or_create(
                    name=name, defaults={"country": country}
                )[0]
                for country, (name, _zone, _language) in COUNTRIES.items()
            }
            rows = []
            for spec in demo_accounts():
                member = Member.objects.filter(email=spec["email"]).first()
                if member is None:
                    member = Member.objects.create_user(
                        spec["email"],
                        password,
                        display_name=spec["display_name"],
                        handle=spec["handle"],
                        country=spec["country"],
                        organization=organizations[spec["country"]],
                        time_zone=spec["time_zone"],
                        language=spec["language"],
                    )
                EmailAddress.objects.get_or_create(
                    user=member,
                    email=spec["email"],
                    defaults={"verified": True, "primary": True},
                )
                for group in groups:
                    Membership.objects.get_or_create(
                        member=member, group=group, defaults={"role": spec["role"]}
                    )
                rows.append((spec["email"], spec["role"], spec["country"], slugs))
            staff = Member.objects.filter(email="staff@demo.example").first()
            if staff is None:
                staff = Member.objects.create_superuser(
                    "staff@demo.example",
                    password,
                    display_name="Staff",
                    handle="staff",
                    country="CN",
                    organization=organizations["CN"],
                )
            EmailAddress.objects.get_or_create(
                user=staff,
                email=staff.email,
                defaults={"verified": True, "primary": True},
            )
            rows.append((staff.email, "staff", "CN", "*"))
        seed_webhook()
        seed_threads()
        seed_meeting()
        seed_conversation()

        from projects.demo import seed_projects

        seed_projects()

        from countries.demo import seed as seed_countries

        seed_countries()
        for row in rows:
            self.stdout.write("\t".join(row))
        self.stderr.write(
            f"Demo password for new accounts: {password} "
            "(moderators and chairs set up two-factor authentication on first moderation)."
        )
