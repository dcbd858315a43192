from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD


def test_login_with_verified_email_shows_my_groups(member, anonymous_client):
    response = anonymous_client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    page = anonymous_client.get("/")
    assert page.context["user"] == member
    assert "Legal policy" in page.content.decode()
    assert "Project promotion" not in page.content.decode()


def test_login_requires_a_verified_email(make_member, legal, anonymous_client):
    unverified = make_member(country="KE", groups=[legal], verified=False)
    response = anonymous_client.post(
        reverse("account_login"), {"login": unverified.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not anonymous_client.get("/").context["user"].is_authenticated
    assert any("Confirm" in m.subject for m in mail.outbox)


def test_password_reset_does_not_reveal_whether_an_address_exists(member, anonymous_client):
    known = anonymous_client.post(reverse("account_reset_password"), {"email": member.email})
    unknown = anonymous_client.post(
        reverse("account_reset_password"), {"email": "nobody@example.org"}
    )
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_repeated_failed_logins_are_rate_limited(member, anonymous_client):
    statuses = [
        anonymous_client.post(
            reverse("account_login"), {"login": member.email, "password": "wrong-password"}
        ).status_code
        for _ in range(7)
    ]
    assert statuses[0] == 200
    assert (
        429 in statuses
        or b"too many"
        in anonymous_client.post(
            reverse("account_login"), {"login": member.email, "password": "wrong-password"}
        ).content.lower()
    )


def test_anonymous_visitor_sees_a_description_and_the_login_link(anonymous_client):
    response = anonymous_client.get("/")
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()
    assert "by invitation" in response.content.decode()
