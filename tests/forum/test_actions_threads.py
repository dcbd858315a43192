import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django_countries import countries

from forum import limits
from forum.actions import threads as actions
from forum.models import Audience, Mention, Post, PostRevision, PostStatus, Tag, Thread
from forum.models.threads import MAX_DEPTH


def test_start_thread_writes_thread_opening_post_and_audience(member, legal):
    thread = actions.create_thread(
        author=member,
        group=legal,
        title="  Tax   treaty  ",
        body="**Hello**",
        audience=Audience.COUNTRIES,
        countries=["zm", "KE"],
    )
    assert thread.title == "Tax treaty"
    assert sorted(c.country.code for c in thread.countries.all()) == ["CN", "KE", "ZM"]
    opening = thread.posts.get()
    assert (opening.number, opening.depth, opening.parent) == (1, 0, None)
    assert opening.status == PostStatus.PUBLISHED
    assert opening.body_html.startswith("<p><strong>Hello</strong>")
    assert thread.reply_count == 0


def test_domestic_thread_is_addressed_to_the_authors_country(domestic_thread):
    assert [c.country.code for c in domestic_thread.countries.all()] == ["CN"]


def test_reply_nests_under_its_parent_and_counts(thread, other_country_member, member):
    opening = thread.posts.get()
    first = actions.reply(author=other_country_member, parent=opening, body="First")
    second = actions.reply(author=member, parent=first, body="Answer to first")
    thread.refresh_from_db()
    assert thread.reply_count == 2
    assert (first.depth, second.depth) == (1, 2)
    assert second.path.startswith(first.path)
    assert list(Post.objects.filter(thread=thread).order_by("path")) == [opening, first, second]
    assert thread.last_activity_at == second.created_at


def test_replies_deeper_than_the_cap_show_at_the_cap_in_time_order(
    thread, member, posting_unlimited
):
    parent = thread.posts.get()
    chain = []
    for n in range(MAX_DEPTH + 3):
        parent = actions.reply(author=member, parent=parent, body=f"level {n + 1}")
        chain.append(parent)
    assert [p.depth for p in chain[-4:]] == [MAX_DEPTH] * 4
    tree = list(Post.objects.filter(thread=thread).order_by("path"))
    assert tree[1:] == chain  # still in conversation order
    assert chain[-1].parent == chain[-2]  # the real parent is kept for "in reply to"


def test_locked_thread_refuses_replies_from_members_but_not_moderators(thread, member, moderator):
    actions.set_locked(moderator=moderator, thread=thread, locked=True)
    with pytest.raises(PermissionDenied):
        actions.reply(author=member, parent=thread.posts.get(), body="Still?")
    actions.reply(author=moderator, parent=thread.posts.get(), body="Closing note")


def test_non_member_cannot_start_a_thread(outsider, legal):
    with pytest.raises(PermissionDenied):
        actions.create_thread(author=outsider, group=legal, title="Hello", body="x")
    assert not Thread.objects.exists()


def test_member_of_another_country_cannot_reply_in_a_domestic_thread(
    domestic_thread, other_country_member
):
    with pytest.raises(PermissionDenied):
        actions.reply(author=other_country_member, parent=domestic_thread.posts.get(), body="hi")


@pytest.mark.parametrize(
    ("title", "body"),
    [("ab", "ok"), ("x" * 201, "ok"), ("Fine title", "   "), ("Fine title", "x" * 50_001)],
    ids=["title-too-short", "title-too-long", "body-empty", "body-too-long"],
)
def test_limits_are_enforced_by_the_action(member, legal, title, body):
    with pytest.raises(ValidationError):
        actions.create_thread(author=member, group=legal, title=title, body=body)


def test_more_than_twenty_tags_are_refused(member, legal):
    topics = [Tag.objects.create(group=legal, name=f"t{n}").name for n in range(limits.TAGS_MAX)]
    with pytest.raises(ValidationError, match="At most 20 tags"):
        actions.create_thread(
            author=member, group=legal, title="Tags", body="x", topics=topics, country_tags=["ZM"]
        )


def test_a_thread_is_tagged_with_the_groups_topics_and_its_countries(member, legal):
    Tag.objects.create(group=legal, name="mining")
    thread = actions.create_thread(
        author=member,
        group=legal,
        title="Tags",
        body="x",
        topics=["mining"],
        country_tags=["zm", "KE"],
    )
    assert sorted((t.kind, t.name, t.group_id) for t in thread.tags.all()) == [
        ("country", "KE", None),
        ("country", "ZM", None),
        ("topic", "mining", legal.pk),
    ]


def test_a_country_tag_is_one_shared_row_however_many_threads_use_it(member, legal):
    for title in ("First", "Second"):
        actions.create_thread(
            author=member, group=legal, title=title, body="x", country_tags=["ZM"]
        )
    assert Tag.objects.filter(kind=Tag.Kind.COUNTRY, name="ZM").count() == 1
    # The database refuses a second shared row (a NULL group never collides on its own).
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(group=None, kind=Tag.Kind.COUNTRY, name="ZM")


def test_a_topic_of_another_group_is_refused(member, legal, promotion):
    Tag.objects.create(group=promotion, name="docking")
    with pytest.raises(ValidationError, match="No such topic"):
        actions.create_thread(
            author=member, group=legal, title="Docking", body="x", topics=["docking"]
        )
    assert not Thread.objects.exists()


@pytest.fixture
def muted_member(member, moderator, legal):
    from forum.actions import moderation

    moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="Cool down")
    return member


# One more country tag than a thread may carry.
TOO_MANY_COUNTRIES = [code for code, _name in list(countries)[: limits.TAGS_MAX + 1]]


@pytest.mark.parametrize(
    ("author", "country_tags"),
    [("muted_member", ["ZM", "KE"]), ("member", TOO_MANY_COUNTRIES)],
    ids=["muted", "over-the-tag-limit"],
)
def test_a_refused_thread_creates_no_tag(request, legal, author, country_tags):
    author = request.getfixturevalue(author)
    with pytest.raises(ValidationError):
        actions.create_thread(
            author=author, group=legal, title="Tags", body="x", country_tags=country_tags
        )
    assert not Tag.objects.exists()
    assert not Thread.objects.exists()


def test_posting_too_fast_is_refused_with_a_slow_down_message(member, thread, settings):
    settings.FORUM_POSTS_PER_MINUTE = 2
    opening = thread.posts.get()  # the thread itself used one
    actions.reply(author=member, parent=opening, body="one")
    with pytest.raises(limits.RateLimited, match="too quickly"):
        actions.reply(author=member, parent=opening, body="two")


def test_edit_keeps_a_revision_and_marks_the_post_edited(thread, member):
    opening = thread.posts.get()
    actions.edit_post(editor=member, post=opening, body="New text", title="New title")
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.body_source == "New text" and opening.edited_at is not None
    assert thread.title == "New title"
    revision = PostRevision.objects.get(post=opening)
    assert (revision.body_source, revision.title, revision.editor) == (
        "What changed?",
        "Mining code changes in Zambia",
        member,
    )


def test_only_author_or_moderator_edits(thread, other_country_member, moderator):
    opening = thread.posts.get()
    with pytest.raises(PermissionDenied):
        actions.edit_post(editor=other_country_member, post=opening, body="hijack")
    actions.edit_post(editor=moderator, post=opening, body="Tidied by a moderator")
    assert PostRevision.objects.get().editor == moderator


def test_unchanged_edit_writes_no_revision(thread, member):
    actions.edit_post(editor=member, post=thread.posts.get(), body="What changed?")
    assert not PostRevision.objects.exists()


def test_removal_is_soft_with_reason_and_restorable(thread, member, moderator):
    reply = actions.reply(author=member, parent=thread.posts.get(), body="spam")
    actions.remove_post(moderator=moderator, post=reply, reason="Advertising")
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.status == PostStatus.REMOVED
    assert reply.body_source == "spam"  # kept for the audit trail
    assert (reply.removed_by, reply.removed_reason) == (moderator, "Advertising")
    assert thread.reply_count == 0
    actions.restore_post(moderator=moderator, post=reply)
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_removal_needs_a_reason_and_a_moderator(thread, member, moderator):
    opening = thread.posts.get()
    with pytest.raises(ValidationError):
        actions.remove_post(moderator=moderator, post=opening, reason="  ")
    with pytest.raises(PermissionDenied):
        actions.remove_post(moderator=member, post=opening, reason="I dislike it")


def test_pin_and_move(thread, make_member, legal, promotion):
    from forum.models import Role

    mod_both = make_member(groups=[legal, promotion], role=Role.MODERATOR)
    topic = Tag.objects.create(group=legal, name="mining")
    thread.tags.add(topic)
    actions.set_pinned(moderator=mod_both, thread=thread, pinned=True)
    actions.move_thread(moderator=mod_both, thread=thread, group=promotion)
    thread.refresh_from_db()
    assert thread.pinned and thread.group == promotion
    assert not thread.tags.exists()  # topic tags belong to the old group


def test_move_needs_moderator_rights_in_both_groups(thread, moderator, promotion):
    with pytest.raises(PermissionDenied):
        actions.move_thread(moderator=moderator, thread=thread, group=promotion)


def test_mentions_link_only_members_who_can_see_the_thread(
    start_thread, member, other_country_member, outsider
):
    body = f"Ask @{other_country_member.handle} and @{outsider.handle} and @nobody"
    group_thread = start_thread(member, body=body)
    html = group_thread.posts.get().body_html
    assert f'href="/members/{other_country_member.handle}/"' in html
    assert f"@{outsider.handle}" in html and f"/members/{outsider.handle}/" not in html
    assert list(Mention.objects.values_list("member", flat=True)) == [other_country_member.pk]

    domestic = start_thread(member, body=body, audience="domestic", title="Only China")
    assert "/members/" not in domestic.posts.get().body_html


def test_typing_the_handle_of_staff_sharing_no_group_neither_links_nor_notifies(
    start_thread, member, make_member, legal
):
    """Staff may read every thread, but a member who shares no group with them cannot
    see them in any member list: a typed handle must not turn into a link to them
    (nor a notification), or the link would confirm that the account exists."""
    make_member(country="CN", groups=[], staff=True, handle="wadi")
    colleague = make_member(country="CN", groups=[legal], staff=True, handle="wafula")
    opened = start_thread(member, body="Ask @wadi and @wafula")
    first = opened.posts.get()
    html = first.body_html
    assert "/members/wadi/" not in html and "@wadi" in html
    assert f'href="/members/{colleague.handle}/"' in html
    assert list(Mention.objects.values_list("member", flat=True)) == [colleague.pk]
    reply = actions.reply(author=member, parent=first, body="Again @wadi")
    assert "/members/wadi/" not in reply.body_html
    # Staff who may see everyone link anyone who may see the thread.
    by_staff = actions.reply(author=colleague, parent=first, body="cc @wadi")
    assert 'href="/members/wadi/"' in by_staff.body_html


def test_quote_source_quotes_the_parent_with_a_link(thread):
    quote = actions.quote_source(thread.posts.get())
    assert "> What changed?" in quote
    assert f"/p/{thread.posts.get().pk}/" in quote


def test_a_reply_checks_and_writes_in_few_queries(thread, member, django_assert_max_num_queries):
    """Replying is on the live path of every member watching: one role lookup, one seq bump.

    Checks (visibility, role, parent, mute), the write (thread lock, post, counters,
    event), and the notifications (auto-watch, watchers, mentions) take 16 queries."""
    opening = thread.posts.get()
    with django_assert_max_num_queries(16):
        actions.reply(author=member, parent=opening, body="Counted.")
