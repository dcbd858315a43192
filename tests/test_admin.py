import pytest
from django.urls import reverse

from tests.conftest import client_for


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
def test_admin_lists_search_and_filter(make_member, legal, thread, model):
    admin = make_member(staff=True, is_superuser=True, mfa=True)
    client = client_for(admin)
    changelist = reverse(f"admin:{model}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist + "?q=legal").status_code == 200
    add = client.get(reverse(f"admin:{model}_add")).status_code
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
