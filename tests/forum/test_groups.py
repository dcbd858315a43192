import pytest
from django.urls import reverse

from forum import visibility
from forum.models import WorkingGroup
from tests.conftest import client_for


def test_three_working_groups_exist_after_migration(db):
    assert set(WorkingGroup.objects.values_list("slug", flat=True)) >= {
        "legal-policy",
        "project-promotion",
        "meetings",
    }


def test_member_sees_their_group_with_members_grouped_by_country(
    member_client, member, other_country_member, legal
):
    response = member_client.get(reverse("group_people", args=[legal.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "China" in html and "Zambia" in html
    assert html.index("China") < html.index("Zambia")
    assert member.display_name in html and other_country_member.display_name in html


@pytest.mark.parametrize("page", ["group", "group_people", "thread_new"])
def test_group_page_of_another_group_answers_404_like_a_missing_group(
    member_client, promotion, page
):
    not_mine = member_client.get(reverse(page, args=[promotion.slug]))
    missing = member_client.get(reverse(page, args=["no-such-group"]))
    assert not_mine.status_code == missing.status_code == 404


def test_anonymous_visitor_is_sent_to_login_for_any_group(anonymous_client, legal):
    real = anonymous_client.get(reverse("group", args=[legal.slug]))
    fake = anonymous_client.get(reverse("group", args=["no-such-group"]))
    assert real.status_code == fake.status_code == 302
    assert real["Location"].startswith(reverse("account_login"))


def test_staff_see_every_group(staff, promotion):
    assert client_for(staff).get(reverse("group", args=[promotion.slug])).status_code == 200


def test_dashboard_lists_only_my_groups(member, make_member, legal, promotion):
    assert list(visibility.visible_groups(member)) == [legal]
    both = make_member(groups=[legal, promotion])
    assert set(visibility.visible_groups(both)) == {legal, promotion}


def test_inactive_member_sees_nothing(member, legal):
    member.is_active = False
    member.save()
    assert not visibility.visible_groups(member).exists()


def test_group_page_uses_a_fixed_number_of_queries(
    member_client, make_member, legal, django_assert_max_num_queries
):
    for country in ["ZM", "KE", "EG", "CN"] * 5:
        make_member(country=country, groups=[legal])
    with django_assert_max_num_queries(10):
        member_client.get(reverse("group_people", args=[legal.slug]))
