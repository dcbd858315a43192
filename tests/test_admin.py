from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from accounts import invitations
from accounts.models import Invitation, Organization
from forum.actions import meetings
from forum.models import AuditAction, AuditEntry, ChatMessage, Membership, ModerationPolicy, Role
from tests.conftest import client_for


@pytest.fixture
def superuser(make_member):
    return make_member(country="CN", staff=True, is_superuser=True, mfa=True)


@pytest.fixture
def superuser_client(superuser):
    return client_for(superuser)


class AdminForm(HTMLParser):
    """The fields an admin page's form would submit, as a browser fills them in."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:  # the inline's template for new rows
            self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "") or "")
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea, self.text = attrs.get("name"), ""

    def handle_data(self, data) -> None:
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.add(self.textarea, self.text.removeprefix("\n"))
            self.textarea = None


def submit(client, url: str, form_id: str, **changes):
    """Open an admin page, change some fields as a person would, and save it."""
    page = client.get(url)
    assert page.status_code == 200
    form = AdminForm(form_id)
    form.feed(page.content.decode())
    data = form.fields
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [str(value)]
    return client.post(url, data)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def page_text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "model",
    [
        "accounts_organization",
        "accounts_member",
        "accounts_invitation",
        "forum_workinggroup",
        "forum_membership",
        "forum_thread",
        "forum_post",
    ],
)
def test_admin_lists_search_and_filter(superuser_client, legal, thread, model):
    changelist = reverse(f"admin:{model}_changelist")
    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist + "?q=legal").status_code == 200
    add = superuser_client.get(reverse(f"admin:{model}_add")).status_code
    assert add == (403 if model in {"forum_thread", "forum_post"} else 200)


def test_admin_login_goes_through_the_sites_sign_in_with_two_factor(anonymous_client):
    response = anonymous_client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_two_factor_cannot_use_the_admin(make_member, member):
    staff = make_member(staff=True, is_superuser=True, mfa=False)
    membership = member.memberships.get()
    client = client_for(staff)
    response = client.get(reverse("admin:forum_membership_change", args=[membership.pk]))
    assert response.status_code in (302, 403)
    client.post(
        reverse("admin:forum_membership_change", args=[membership.pk]),
        {
            "member": member.pk,
            "group": membership.group_id,
            "role": "chair",
            "joined_at_0": "2026-01-01",
            "joined_at_1": "00:00",
        },
    )
    membership.refresh_from_db()
    assert membership.role == "member"


# --- the moderation policy -------------------------------------------------------------


def test_a_policy_change_in_the_admin_is_audited(superuser_client, superuser, legal):
    assert legal.moderation_policy == ModerationPolicy.OFF
    response = submit(
        superuser_client,
        change_url(legal),
        "workinggroup_form",
        moderation_policy=ModerationPolicy.CROSS_BORDER,
        approvals_required=2,
    )
    assert response.status_code == 302
    legal.refresh_from_db()
    assert (legal.moderation_policy, legal.approvals_required) == ("cross_border", 2)
    entry = AuditEntry.objects.get(group=legal, action=AuditAction.POLICY)
    assert (entry.actor, entry.actor_country) == (superuser, "CN")
    assert entry.details["before"]["moderation_policy"] == "off"
    assert entry.details["after"] == {
        "moderation_policy": "cross_border",
        "approvals_required": 2,
        "member_review_until": None,
        "trusted_review_until": 0,
    }


def test_a_policy_the_action_would_refuse_is_refused_on_the_admin_page(superuser_client, legal):
    response = submit(
        superuser_client, change_url(legal), "workinggroup_form", member_review_until=20_000
    )
    assert response.status_code == 200
    assert "Give a number of posts from 0 to 10,000" in page_text(response)
    legal.refresh_from_db()
    assert legal.member_review_until is None
    assert not AuditEntry.objects.exists()


def test_editing_a_groups_description_in_the_admin_writes_no_policy_entry(superuser_client, legal):
    response = submit(
        superuser_client, change_url(legal), "workinggroup_form", description="Laws and notes."
    )
    assert response.status_code == 302
    legal.refresh_from_db()
    assert legal.description == "Laws and notes."
    assert not AuditEntry.objects.exists()


# --- memberships keep a chair ----------------------------------------------------------

LAST_CHAIR = "A working group needs at least one chair."


def test_the_admin_refuses_to_demote_a_groups_last_chair(superuser_client, chair, legal):
    membership = chair.memberships.get(group=legal)
    response = submit(superuser_client, change_url(membership), "membership_form", role="member")
    assert response.status_code == 200
    assert LAST_CHAIR in page_text(response)
    membership.refresh_from_db()
    assert membership.role == Role.CHAIR


def test_the_admin_demotes_a_chair_while_another_remains(
    superuser_client, chair, make_member, legal
):
    make_member(country="ZM", groups=[legal], role=Role.CHAIR)
    membership = chair.memberships.get(group=legal)
    response = submit(superuser_client, change_url(membership), "membership_form", role="member")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_the_admin_adds_a_membership(superuser_client, outsider, legal):
    response = superuser_client.post(
        reverse("admin:forum_membership_add"),
        {"member": outsider.pk, "group": legal.pk, "role": Role.TRUSTED},
    )
    assert response.status_code == 302
    assert outsider.memberships.get(group=legal).role == Role.TRUSTED


def test_the_admin_refuses_to_delete_a_groups_last_chair(superuser_client, chair, legal):
    membership = chair.memberships.get(group=legal)
    url = reverse("admin:forum_membership_delete", args=[membership.pk])
    page = superuser_client.get(url)
    assert "Cannot delete" in page.content.decode()
    assert "Legal policy would be left without a chair" in page.content.decode()
    superuser_client.post(url, {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_admin_deletes_a_plain_membership(superuser_client, member, legal):
    membership = member.memberships.get(group=legal)
    url = reverse("admin:forum_membership_delete", args=[membership.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_deleting_every_chair_of_a_group_at_once_is_refused(
    superuser_client, chair, make_member, member, legal
):
    other_chair = make_member(country="ZM", groups=[legal], role=Role.CHAIR)
    selected = Membership.objects.filter(member__in=[chair, other_chair, member])
    response = superuser_client.post(
        reverse("admin:forum_membership_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [m.pk for m in selected],
            "post": "yes",
        },
    )
    assert "Legal policy would be left without a chair" in response.content.decode()
    assert Membership.objects.filter(group=legal).count() == 3


def test_deleting_some_chairs_of_a_group_at_once_removes_them(
    superuser_client, chair, make_member, member, legal
):
    other_chair = make_member(country="ZM", groups=[legal], role=Role.CHAIR)
    selected = Membership.objects.filter(member__in=[chair, member])
    superuser_client.post(
        reverse("admin:forum_membership_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [m.pk for m in selected],
            "post": "yes",
        },
    )
    assert list(Membership.objects.filter(group=legal)) == [other_chair.memberships.get()]


@pytest.mark.parametrize(
    "change",
    [{"memberships__0__role": "member"}, {"memberships__0__DELETE": "on"}],
    ids=["demote", "remove"],
)
def test_the_member_page_refuses_to_take_a_groups_last_chair_away(
    superuser_client, chair, legal, change
):
    response = submit(superuser_client, change_url(chair), "member_form", **change)
    assert response.status_code == 200
    assert f"Legal policy: {LAST_CHAIR}" in page_text(response)
    assert chair.memberships.get(group=legal).role == Role.CHAIR


def test_the_member_page_changes_and_adds_memberships(superuser_client, member, legal, promotion):
    response = submit(
        superuser_client,
        change_url(member),
        "member_form",
        memberships__0__role=Role.TRUSTED,
        memberships__TOTAL_FORMS=2,
        memberships__1__group=promotion.pk,
        memberships__1__role=Role.MEMBER,
        memberships__1__member=member.pk,
        memberships__1__id="",
    )
    assert response.status_code == 302
    assert dict(member.memberships.values_list("group__slug", "role")) == {
        "legal-policy": Role.TRUSTED,
        "project-promotion": Role.MEMBER,
    }


def test_deleting_a_groups_last_chair_as_a_member_is_refused(superuser_client, chair, legal):
    url = reverse("admin:accounts_member_delete", args=[chair.pk])
    assert (
        "Legal policy would be left without a chair" in superuser_client.get(url).content.decode()
    )
    superuser_client.post(url, {"post": "yes"})
    assert chair.memberships.filter(group=legal).exists()


# --- invitations -----------------------------------------------------------------------


def invitation_form(legal, **fields) -> dict:
    return {
        "email": "amina@zda.example.org",
        "organization": Organization.objects.get_or_create(name="ZDA", country="ZM")[0].pk,
        "country": "ZM",
        "groups": [legal.pk],
        "role": Role.MEMBER,
        "language": "fr",
        **fields,
    }


def test_an_invitation_made_in_the_admin_is_mailed(
    superuser_client, superuser, legal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:accounts_invitation_add"), invitation_form(legal)
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.invited_by) == ("amina@zda.example.org", superuser)
    assert list(invitation.groups.all()) == [legal]
    assert [m.to for m in mail.outbox] == [["amina@zda.example.org"]]
    token = re.search(r"http://testserver/invite/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert invitations.check_token(token) == invitation


def test_the_admin_will_not_invite_someone_who_has_an_account(
    superuser_client, member, legal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:accounts_invitation_add"), invitation_form(legal, email=member.email)
        )
    assert response.status_code == 200
    assert "already has an account" in page_text(response)
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_an_invitation_is_withdrawn_not_edited_in_the_admin(
    superuser_client, superuser, legal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(reverse("admin:accounts_invitation_add"), invitation_form(legal))
    invitation = Invitation.objects.get()
    page = superuser_client.get(change_url(invitation)).content.decode()
    assert 'name="email"' not in page  # shown, not editable
    superuser_client.post(
        reverse("admin:accounts_invitation_changelist"),
        {"action": "withdraw", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert invitation.state() == "revoked"


# --- what moderation removes is never deleted here -------------------------------------


@pytest.fixture
def chat_message(live_meeting, member):
    return meetings.send_chat(
        author=member, meeting=live_meeting, client_id="c1", body="Hello, everyone"
    )[0]


@pytest.mark.parametrize("kind", ["thread", "post", "meeting", "chat_message"])
def test_posts_threads_meetings_and_chat_messages_cannot_be_deleted_in_the_admin(
    superuser_client, request, kind
):
    obj = {
        "thread": lambda: request.getfixturevalue("thread"),
        "post": lambda: request.getfixturevalue("thread").posts.get(),
        "meeting": lambda: request.getfixturevalue("meeting"),
        "chat_message": lambda: request.getfixturevalue("chat_message"),
    }[kind]()
    model = type(obj)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    delete = reverse(f"{name}_delete", args=[obj.pk])
    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = superuser_client.get(reverse(f"{name}_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    superuser_client.post(
        reverse(f"{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=obj.pk).exists()
    if model is ChatMessage:
        assert obj.meeting.messages.count() == 1
