from django.urls import reverse

from tests.conftest import client_for


def test_member_edits_own_name_language_and_time_zone(member, member_client):
    response = member_client.post(
        reverse("profile_edit"),
        {
            "display_name": "Li Wei",
            "handle": "li-wei",
            "language": "fr",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.handle, member.language, member.time_zone) == (
        "Li Wei",
        "li-wei",
        "fr",
        "Asia/Shanghai",
    )


def test_member_cannot_change_own_country_through_the_form(member, member_client):
    member_client.post(
        reverse("profile_edit"),
        {
            "display_name": "Li",
            "handle": "li",
            "language": "en",
            "time_zone": "UTC",
            "country": "ZM",
        },
    )
    member.refresh_from_db()
    assert member.country.code == "CN"


def test_invalid_profile_keeps_what_was_typed(member_client, other_country_member):
    response = member_client.post(
        reverse("profile_edit"),
        {
            "display_name": "Typed Name",
            "handle": other_country_member.handle,
            "language": "en",
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Typed Name" in html
    assert response.context["form"].errors.keys() >= {"handle", "time_zone"}


def test_profile_shows_country_name_and_flag(member_client, other_country_member):
    response = member_client.get(reverse("profile", args=[other_country_member.handle]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zambia" in html
    assert "\U0001f1ff\U0001f1f2" in html  # the Zambian flag


def test_profile_of_someone_sharing_no_group_is_not_found(member_client, outsider):
    assert member_client.get(reverse("profile", args=[outsider.handle])).status_code == 404


def test_staff_see_every_profile(staff, outsider):
    assert client_for(staff).get(reverse("profile", args=[outsider.handle])).status_code == 200


def test_pages_follow_the_members_language_and_direction(make_member, legal):
    arabic_reader = make_member(country="EG", groups=[legal], language="ar")
    html = client_for(arabic_reader).get("/").content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html


def test_anonymous_visitor_can_choose_a_right_to_left_language(anonymous_client):
    anonymous_client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert 'dir="rtl"' in anonymous_client.get("/").content.decode()
