"""What a new member tripped over: sign-in wording, 2FA's way back, invitations, digests,
avatars and the language of allauth's notices."""

from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import actions as account_actions
from accounts import invitations
from accounts.models import Avatar
from accounts.zones import zone_for_country
from tests.conftest import PASSWORD, client_for


def test_the_sign_in_page_says_how_to_get_an_invitation(anonymous_client):
    page = anonymous_client.get(reverse("account_login")).content.decode()
    assert "invitation" in page
    assert "please sign up first" not in page.lower()


def test_the_signed_in_notice_is_in_the_members_language(make_member, legal, anonymous_client):
    member = make_member(country="EG", groups=[legal], language="fr")
    response = anonymous_client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}, follow=True
    )
    notices = [str(m) for m in response.context["messages"]]
    assert notices and all("Successfully signed in" not in n for n in notices)


def test_two_factor_set_up_keeps_the_way_back(chair_without_mfa, legal):
    client = client_for(chair_without_mfa)
    wanted = reverse("group_members", args=[legal.slug])
    client.get(wanted)
    assert client.session["mfa_next"] == wanted
    # allauth's pages drop `next`; ours offer the way back.
    page = client.get(reverse("mfa_index")).content.decode()
    assert f'href="{wanted}"' in page


def test_the_way_back_is_forgotten_once_used(chair, legal):
    client = client_for(chair)
    session = client.session
    session["mfa_next"] = "/somewhere/"
    session.save()
    client.get(reverse("group_members", args=[legal.slug]))
    assert "mfa_next" not in client.session


def test_the_password_re_ask_is_explained(chair_without_mfa, anonymous_client):
    anonymous_client.post(
        reverse("account_login"), {"login": chair_without_mfa.email, "password": PASSWORD}
    )
    page = anonymous_client.get(reverse("account_reauthenticate")).content.decode()
    assert "lock you out" in page


def test_zone_for_a_country_is_its_main_one():
    assert zone_for_country("CN") == "Asia/Shanghai"
    assert zone_for_country("ZM") == "Africa/Lusaka"
    assert zone_for_country("??") == "UTC"


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_names_both_times_correctly(make_member):
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tests.conftest import working_group

    legal = working_group("legal-policy")
    chair = make_member(country="EG", groups=[legal], role="chair", mfa=True)
    with timezone.override("America/Los_Angeles"):
        invitation = account_actions.invite(
            inviter=chair,
            email="new@example.org",
            organization_name="Org",
            country="CN",
            groups=[legal],
            role="member",
            base_url="http://testserver/",
        )
    invitation.refresh_from_db()
    body = mail.outbox[-1].body
    local = invitation.expires_at.astimezone(ZoneInfo("Asia/Shanghai"))
    utc = invitation.expires_at.astimezone(UTC)
    assert f"{local:%H:%M} (Asia/Shanghai time)" in body
    assert f"{utc:%H:%M} UTC" in body


def test_the_invited_sign_up_prefills_the_zone_and_fixes_the_address(
    chair, legal, anonymous_client
):
    from django.db import transaction

    with transaction.atomic():
        invitation = account_actions.invite(
            inviter=chair,
            email="new@example.org",
            organization_name="Org",
            country="ZM",
            groups=[legal],
            role="member",
            base_url="http://testserver/",
        )
    token = invitations.make_token(invitation)
    response = anonymous_client.get(reverse("invitation_accept", args=[token]), follow=True)
    page = response.content.decode()
    assert '<option value="Africa/Lusaka" selected>' in page
    email_input = page.split('name="email"', 1)[1].split(">", 1)[0]
    assert "readonly" in email_input and 'value="new@example.org"' in email_input


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (400, 240), (20, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_an_uploaded_avatar_is_square_small_and_without_metadata(member_client, member):
    upload = SimpleUploadedFile("me.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = member_client.post(reverse("avatar_edit"), {"picture": upload})
    assert response.status_code == 302
    member.refresh_from_db()
    stored = bytes(Avatar.objects.get(member=member).image)
    assert b"SecretCamera" not in stored
    with Image.open(BytesIO(stored)) as image:
        assert image.format == "WEBP" and image.size == (160, 160)
        assert not image.getexif()
    picture = member_client.get(
        reverse("avatar_image", args=[member.handle, member.avatar_version])
    )
    assert picture["Content-Type"] == "image/webp"
    assert "immutable" in picture["Cache-Control"]


def test_a_file_that_is_not_a_picture_is_refused_clearly(member_client):
    upload = SimpleUploadedFile("me.jpg", b"not an image", content_type="image/jpeg")
    response = member_client.post(reverse("avatar_edit"), {"picture": upload})
    assert response.status_code == 400


def test_without_a_picture_members_show_initials_on_their_own_colour(member, thread):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    colour, letters = member.pk % 12, f"P{member.country.code[0]}"  # "Person 1 CN"
    assert f'<span class="avatar c{colour}" aria-hidden="true">{letters}</span>' in page
