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
    admin = make_member(staff=True, is_superuser=True)
    client = client_for(admin)
    changelist = reverse(f"admin:{model}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist + "?q=legal").status_code == 200
    add = client.get(reverse(f"admin:{model}_add")).status_code
    assert add == (403 if model in {"forum_thread", "forum_post"} else 200)
