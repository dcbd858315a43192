import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import actions, invitations
from accounts.models import Invitation, Member
from forum.models import Membership, Role

SIGNUP = {
    "password1": "a-long-passphrase-2026",
    "password2": "a-long-passphrase-2026",
    "display_name": "Amina Banda",
    "time_zone": "Africa/Lusaka",
}


@pytest.fixture
def send_invitation(django_capture_on_commit_callbacks):
    """POST the invitation form; the email goes out when the transaction commits."""

    def send(client, legal, email="amina@zda.example.org", role="trusted"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("invitations"),
                {
                    "email": email,
                    "organization": "Zambia Development Agency",
                    "country": "ZM",
                    "groups": [legal.pk],
                    "role": role,
                    "language": "en",
                },
            )

    return send


def invite(inviter, *, email, country, groups, role):
    """Invite through the action directly, for tests that need no email."""
    return actions.invite(
        inviter=inviter,
        email=email,
        organization_name="Org",
        country=country,
        groups=groups,
        role=role,
        base_url="http://testserver/",
    )


def link_from_outbox() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/invite/\S+/", body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_invited_person_signs_up_with_the_invited_country_role_and_groups(
    chair_client, legal, anonymous_client, send_invitation
):
    response = send_invitation(chair_client, legal)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["amina@zda.example.org"]
    assert "Legal policy" in mail.outbox[0].body

    response = anonymous_client.get(path_of(link_from_outbox()))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    page = anonymous_client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert b"amina@zda.example.org" in page.content

    response = anonymous_client.post(
        reverse("account_signup"), {"email": "amina@zda.example.org", **SIGNUP}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(email="amina@zda.example.org")
    assert member.country.code == "ZM"
    assert member.organization.name == "Zambia Development Agency"
    assert member.display_name == "Amina Banda"
    assert member.time_zone == "Africa/Lusaka"
    assert list(member.memberships.values_list("group__slug", "role")) == [
        ("legal-policy", Role.TRUSTED)
    ]
    # Following the emailed link proved the address: no second verification round.
    assert EmailAddress.objects.get(user=member).verified
    invitation = Invitation.objects.get(email="amina@zda.example.org")
    assert invitation.accepted_by == member
    assert invitation.state() == "accepted"
    assert anonymous_client.get("/").context["user"] == member


def test_used_invitation_is_refused_with_a_clear_page(
    chair_client, legal, anonymous_client, send_invitation
):
    send_invitation(chair_client, legal)
    link = path_of(link_from_outbox())
    anonymous_client.get(link)
    anonymous_client.post(reverse("account_signup"), {"email": "amina@zda.example.org", **SIGNUP})
    anonymous_client.logout()

    response = anonymous_client.get(link)
    assert response.status_code == 410
    assert b"already been used" in response.content


def test_expired_invitation_is_refused(chair_client, legal, anonymous_client, send_invitation):
    send_invitation(chair_client, legal)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = anonymous_client.get(path_of(link_from_outbox()))
    assert response.status_code == 410
    assert b"expired" in response.content
    # And sign-up stays closed for this browser.
    assert b"by invitation only" in anonymous_client.get(reverse("account_signup")).content


def test_invitation_that_expired_while_the_form_was_open_creates_no_account(
    chair_client, legal, anonymous_client, send_invitation
):
    send_invitation(chair_client, legal)
    anonymous_client.get(path_of(link_from_outbox()))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = anonymous_client.post(
        reverse("account_signup"), {"email": "amina@zda.example.org", **SIGNUP}
    )
    assert b"by invitation only" in response.content
    assert not Member.objects.filter(email="amina@zda.example.org").exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "garbage",
        lambda token: token.replace(":", "", 1),
    ],
    ids=["flipped-signature", "garbage", "broken-structure"],
)
def test_tampered_invitation_link_is_refused(
    chair_client, legal, anonymous_client, mangle, send_invitation
):
    send_invitation(chair_client, legal)
    token = link_from_outbox().rstrip("/").rsplit("/", 1)[1]
    response = anonymous_client.get(reverse("invitation_accept", args=[mangle(token)]))
    assert response.status_code == 410
    assert b"not valid" in response.content


def test_token_for_another_address_is_refused(chair, legal):
    invitation = invite(
        chair, email="a@example.org", country="ZM", groups=[legal], role=Role.MEMBER
    )
    Invitation.objects.filter(pk=invitation.pk).update(email="b@example.org")
    with pytest.raises(invitations.InvitationInvalid):
        invitations.check_token(invitations.make_token(invitation))


def test_signup_without_invitation_is_refused(anonymous_client):
    response = anonymous_client.get(reverse("account_signup"))
    assert b"by invitation only" in response.content
    response = anonymous_client.post(
        reverse("account_signup"), {"email": "walk-in@example.org", **SIGNUP}
    )
    assert b"by invitation only" in response.content
    assert not Member.objects.filter(email="walk-in@example.org").exists()


def test_signup_with_another_address_than_invited_keeps_the_form(
    chair_client, legal, anonymous_client, send_invitation
):
    send_invitation(chair_client, legal)
    anonymous_client.get(path_of(link_from_outbox()))
    response = anonymous_client.post(
        reverse("account_signup"), {"email": "someone-else@example.org", **SIGNUP}
    )
    assert response.status_code == 200
    assert "amina@zda.example.org" in response.content.decode()
    assert "Amina Banda" in response.content.decode()  # what was typed stays
    assert not Member.objects.filter(email="someone-else@example.org").exists()


def test_chair_may_invite_only_to_groups_they_chair(chair, legal, promotion):
    with pytest.raises(PermissionDenied):
        invite(
            chair, email="x@example.org", country="KE", groups=[legal, promotion], role=Role.MEMBER
        )
    assert not Invitation.objects.exists()


def test_invitation_form_offers_only_chaired_groups_and_keeps_input_on_error(
    chair_client, legal, promotion
):
    response = chair_client.post(
        reverse("invitations"),
        {
            "email": "not-an-email",
            "organization": "Kept Org",
            "country": "KE",
            "groups": [promotion.pk],
            "role": "member",
            "language": "fr",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kept Org" in html
    assert "not-an-email" in html
    assert list(response.context["form"].fields["groups"].queryset) == [legal]
    assert not Invitation.objects.exists()


def test_plain_member_cannot_open_the_invitation_page(member_client):
    assert member_client.get(reverse("invitations")).status_code == 404


def test_staff_may_invite_to_any_group(staff, legal, promotion):
    invitation = invite(
        staff, email="New@Example.org", country="EG", groups=[legal, promotion], role=Role.MODERATOR
    )
    assert invitation.email == "new@example.org"
    assert set(invitation.groups.values_list("slug", flat=True)) == {
        "legal-policy",
        "project-promotion",
    }


def test_new_invitation_replaces_an_open_one_for_the_same_address(chair, legal):
    first = invite(chair, email="x@example.org", country="KE", groups=[legal], role=Role.MEMBER)
    invite(chair, email="x@example.org", country="KE", groups=[legal], role=Role.TRUSTED)
    first.refresh_from_db()
    assert first.state() == "revoked"
    with pytest.raises(invitations.InvitationInvalid):
        invitations.check_token(invitations.make_token(first))


def test_existing_member_cannot_be_invited_again(chair, member, legal):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        invite(chair, email=member.email.upper(), country="KE", groups=[legal], role=Role.MEMBER)


def test_withdrawn_invitation_link_is_refused(
    chair_client, chair, legal, anonymous_client, send_invitation
):
    send_invitation(chair_client, legal)
    invitation = Invitation.objects.get()
    chair_client.post(reverse("invitation_revoke", args=[invitation.pk]))
    response = anonymous_client.get(path_of(link_from_outbox()))
    assert response.status_code == 410
    assert b"withdrawn" in response.content


def test_accepting_twice_grants_membership_once(chair, legal, make_member):
    invitation = invite(
        chair, email="twice@example.org", country="KE", groups=[legal], role=Role.MEMBER
    )
    newcomer = make_member(country="KE", email="twice@example.org")
    actions.accept_invitation(invitation=invitation, member=newcomer)
    with pytest.raises(invitations.InvitationInvalid):
        actions.accept_invitation(invitation=invitation, member=newcomer)
    assert Membership.objects.filter(member=newcomer).count() == 1


def test_inviting_an_address_leaves_other_inviters_invitations_alone(chair, staff, legal):
    from_staff = invite(
        staff, email="x@example.org", country="KE", groups=[legal], role=Role.MEMBER
    )
    invite(chair, email="x@example.org", country="KE", groups=[legal], role=Role.MEMBER)
    from_staff.refresh_from_db()
    assert from_staff.state() == "open"
