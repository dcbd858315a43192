"""Drafts, preview, mention suggestions and the announced length limit."""

import json

from django.urls import reverse

from forum.actions import reading
from forum.actions import threads as actions
from forum.models import Draft
from tests.conftest import client_for


def test_a_draft_is_kept_on_the_server_and_given_back(member_client, member, thread):
    url = reverse("draft", args=["reply", thread.pk])
    assert json.loads(member_client.get(url).content)["body"] == ""
    assert member_client.post(url, {"body": "Half a thought"}).status_code == 200
    answer = json.loads(member_client.get(url).content)
    assert answer["body"] == "Half a thought" and answer["updated_at"]
    member_client.post(url, {"body": ""})
    assert not Draft.objects.filter(member=member).exists()


def test_sending_the_reply_discards_its_draft(member_client, member, thread):
    reading.save_draft(member=member, key=f"reply:{thread.pk}", body="Almost done")
    response = member_client.post(reverse("thread_reply", args=[thread.pk]), {"body": "Done"})
    assert response.status_code == 302
    assert not Draft.objects.filter(member=member).exists()


def test_a_refused_reply_keeps_its_draft(member_client, member, thread):
    reading.save_draft(member=member, key=f"reply:{thread.pk}", body="Kept")
    member_client.post(reverse("thread_reply", args=[thread.pk]), {"body": "\x00"})
    assert Draft.objects.filter(member=member, key=f"reply:{thread.pk}").exists()


def test_drafts_of_boxes_the_member_cannot_see_are_not_found(outsider, thread):
    url = reverse("draft", args=["reply", thread.pk])
    assert client_for(outsider).post(url, {"body": "x"}).status_code == 404
    assert not Draft.objects.exists()


def test_the_preview_is_exactly_what_a_reply_would_store(
    member_client, member, thread, other_country_member
):
    body = f"**Bold** <script>x</script> @{other_country_member.handle} and @nobody"
    preview = member_client.post(reverse("preview"), {"body": body, "thread": thread.pk})
    stored = actions.reply(author=member, parent=thread.posts.get(), body=body)
    assert preview.content.decode() == f'<div class="body" dir="auto">{stored.body_html}</div>'
    assert "<script>" not in preview.content.decode()


def test_mention_suggestions_only_name_members_who_may_see_the_thread(
    member_client, make_member, legal, domestic_thread
):
    make_member(country="CN", groups=[legal], display_name="Wang Fang", handle="wang-fang")
    make_member(country="ZM", groups=[legal], display_name="Wanjiru Banda", handle="wanjiru")
    url = reverse("mention_candidates", args=[domestic_thread.pk])
    found = json.loads(member_client.get(url, {"q": "wan"}).content)["members"]
    assert [m["handle"] for m in found] == ["wang-fang"]
    assert json.loads(member_client.get(url, {"q": "<x>"}).content)["members"] == []


def test_mention_suggestions_for_a_new_thread_follow_the_audience_chosen_so_far(
    member_client, make_member, legal, promotion
):
    """The thread being written has no audience yet: its group and the audience chosen
    in the form decide, by the visibility rule's own scope."""
    make_member(country="CN", groups=[legal], display_name="Wang Fang", handle="wang-fang")
    make_member(country="ZM", groups=[legal], display_name="Wanjiru Banda", handle="wanjiru")
    make_member(country="KE", groups=[legal], display_name="Wanza Otieno", handle="wanza")
    make_member(country="ZM", groups=[promotion], display_name="Wami Outside", handle="wami")
    make_member(country="ZM", groups=[legal], display_name="Wando Gone", is_active=False)
    url = reverse("new_thread_mention_candidates", args=[legal.slug])

    def found(**params) -> list[str]:
        answer = member_client.get(url, {"q": "wa", **params})
        return [m["handle"] for m in json.loads(answer.content)["members"]]

    assert found() == found(audience="group") == ["wang-fang", "wanjiru", "wanza"]
    assert found(audience="domestic") == ["wang-fang"]
    assert found(audience="countries", countries=["ZM"]) == ["wang-fang", "wanjiru"]
    # Half-chosen or nonsense: the narrowest audience, never a wider one.
    assert found(audience="countries") == ["wang-fang"]
    assert found(audience="countries", countries=["XX"]) == ["wang-fang"]
    assert found(audience="everyone") == ["wang-fang"]
    assert found(q="<x>") == []


def test_the_new_thread_form_asks_for_mentions_with_its_audience(member_client, legal):
    page = member_client.get(reverse("thread_new", args=[legal.slug])).content.decode()
    assert f'data-mentions="{reverse("new_thread_mention_candidates", args=[legal.slug])}"' in page
    assert 'data-mentions-audience="1"' in page


def test_the_text_box_announces_its_limit_instead_of_cutting_a_paste(member_client, thread):
    page = member_client.get(thread.get_absolute_url()).content.decode()
    box = page.split("<textarea", 1)[1].split(">", 1)[0]
    assert 'data-max="50000"' in box and "maxlength" not in box
    response = member_client.post(reverse("thread_reply", args=[thread.pk]), {"body": "x" * 60_000})
    assert response.status_code == 400
    assert "50000" in response.content.decode().replace(",", "").replace("\u202f", "")


def test_mention_suggestions_never_name_staff_who_share_no_group_with_the_writer(
    member_client, make_member, legal, thread
):
    """Staff may read every thread, but a member who shares no group with them may not
    see them (visible_members): suggestions must not reveal them, on either form."""
    make_member(country="CN", groups=[], staff=True, display_name="Wadi Staff", handle="wadi")
    make_member(country="CN", groups=[legal], display_name="Wang Fang", handle="wang-fang")
    colleague = make_member(
        country="CN", groups=[legal], staff=True, display_name="Wafula Staff", handle="wafula"
    )
    for url in (
        reverse("mention_candidates", args=[thread.pk]),
        reverse("new_thread_mention_candidates", args=[legal.slug]),
    ):
        found = json.loads(member_client.get(url, {"q": "wa"}).content)["members"]
        handles = [m["handle"] for m in found]
        assert "wadi" not in handles
        assert "wang-fang" in handles and colleague.handle in handles
