import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, client_for


@pytest.mark.parametrize("page", ["group_members", "invitations"])
def test_chair_without_mfa_is_sent_to_mfa_setup_with_an_explanation(chair_without_mfa, legal, page):
    client = client_for(chair_without_mfa)
    url = reverse(page, args=[legal.slug]) if page == "group_members" else reverse(page)
    response = client.get(url, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("mfa_activate_totp"))
    assert "two-factor authentication" in response.content.decode()


def test_chair_without_mfa_cannot_change_roles_by_posting(chair_without_mfa, member, legal):
    membership = member.memberships.get()
    response = client_for(chair_without_mfa).post(
        reverse("group_members", args=[legal.slug]),
        {"membership": membership.pk, "action": "role", "role": "moderator"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    membership.refresh_from_db()
    assert membership.role == "member"


def test_chair_with_mfa_reaches_the_members_page(chair_client, legal):
    assert chair_client.get(reverse("group_members", args=[legal.slug])).status_code == 200


def test_mfa_setup_page_offers_an_authenticator_app(chair_without_mfa, anonymous_client):
    anonymous_client.post(
        reverse("account_login"), {"login": chair_without_mfa.email, "password": PASSWORD}
    )
    # allauth asks for the password again before a security change.
    first = anonymous_client.get(reverse("mfa_activate_totp"))
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    anonymous_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = anonymous_client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "otpauth://" in response.content.decode() or "svg" in response.content.decode()
