"""Who may see and do what. Every read path asks this module.

Functions either filter a queryset or raise. Lookups that must not reveal
whether something exists raise Http404 both for "missing" and "not yours".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404

from forum.models import (
    Audience,
    AudienceCountry,
    AuditEntry,
    Membership,
    ModerationPolicy,
    Mute,
    Post,
    PostStatus,
    Report,
    Review,
    Role,
    Thread,
    WorkingGroup,
)
from forum.models.groups import MODERATING_ROLES
from forum.prepared import PreparedQuery, viewer_shape, viewer_stand_in

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import Member

    Viewer = Member | AnonymousUser


_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def _signed_in(viewer: Viewer) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_active)


def visible_groups(viewer: Viewer) -> QuerySet[WorkingGroup]:
    """Return the working groups `viewer` may see: their own, or all for staff."""
    if not _signed_in(viewer):
        return WorkingGroup.objects.none()
    if viewer.is_staff:
        return WorkingGroup.objects.all()
    return WorkingGroup.objects.filter(memberships__member=viewer)


def get_group_or_404(viewer: Viewer, slug: str) -> WorkingGroup:
    """Return the group `slug` if `viewer` may see it; 404 for missing or not a member.

    The viewer's role comes along in the same query, so later checks cost nothing.
    """
    if not _signed_in(viewer) or not _SLUG.fullmatch(slug or ""):
        raise Http404("No such working group.")
    my_role = Membership.objects.filter(group=OuterRef("pk"), member=viewer).values("role")[:1]
    try:
        group = visible_groups(viewer).annotate(viewer_role=Subquery(my_role)).get(slug=slug)
    except WorkingGroup.DoesNotExist:
        raise Http404("No such working group.") from None
    group.viewer_role_for = viewer.pk
    return group


def role_in(viewer: Viewer, group: WorkingGroup) -> str | None:
    """Return the viewer's role in `group`, or None when they do not belong to it."""
    if not _signed_in(viewer):
        return None
    if getattr(group, "viewer_role_for", None) == viewer.pk:
        return group.viewer_role
    return (
        Membership.objects.filter(member=viewer, group=group).values_list("role", flat=True).first()
    )


def can_moderate(viewer: Viewer, group: WorkingGroup) -> bool:
    """Moderators, chairs and staff moderate a group."""
    if not _signed_in(viewer):
        return False
    return viewer.is_staff or role_in(viewer, group) in MODERATING_ROLES


def can_chair(viewer: Viewer, group: WorkingGroup) -> bool:
    """Chairs and staff manage a group's members and invite to it."""
    if not _signed_in(viewer):
        return False
    return viewer.is_staff or role_in(viewer, group) == Role.CHAIR


def invitable_groups(viewer: Viewer) -> QuerySet[WorkingGroup]:
    """Return the groups `viewer` may invite people to."""
    if not _signed_in(viewer):
        return WorkingGroup.objects.none()
    if viewer.is_staff:
        return WorkingGroup.objects.all()
    return WorkingGroup.objects.filter(
        memberships__member=viewer, memberships__role=Role.CHAIR
    ).distinct()


def can_invite(viewer: Viewer) -> bool:
    return invitable_groups(viewer).exists()


def visible_members(viewer: Viewer) -> QuerySet[Member]:
    """Return the members `viewer` may see: those sharing a group, themselves; all for staff."""
    members = get_user_model().objects.filter(is_active=True)
    if not _signed_in(viewer):
        return members.none()
    if viewer.is_staff:
        return get_user_model().objects.all()
    shares_group = Membership.objects.filter(
        member=OuterRef("pk"), group__memberships__member=viewer
    )
    return members.filter(Exists(shares_group) | Q(pk=viewer.pk))


def get_member_or_404(viewer: Viewer, handle: str) -> Member:
    """Return the member with `handle` if `viewer` may see them; 404 otherwise."""
    try:
        return visible_members(viewer).select_related("organization").get(handle=handle)
    except get_user_model().DoesNotExist:
        raise Http404("No such member.") from None


def group_roster(viewer: Viewer, group: WorkingGroup) -> QuerySet[Membership]:
    """Return the memberships of a group `viewer` may see, ready to list by country."""
    if not (viewer.is_staff or role_in(viewer, group)):
        return Membership.objects.none()
    return (
        Membership.objects.filter(group=group, member__is_active=True)
        .select_related("member", "member__organization")
        .order_by("member__country", "member__display_name")
    )


def group_country_counts(viewer: Viewer, group: WorkingGroup) -> list[tuple[str, int]]:
    """Return (country code, member count) pairs for a group `viewer` may see."""
    from django.db.models import Count

    return list(
        group_roster(viewer, group)
        .order_by()
        .values_list("member__country")
        .annotate(n=Count("pk"))
        .order_by("-n", "member__country")
    )


# --- threads and posts -------------------------------------------------------------


def audience_filter(viewer: Viewer) -> Q:
    """Return the condition a thread meets when its audience includes `viewer`'s country."""
    return Q(audience=Audience.GROUP) | Q(
        Exists(AudienceCountry.objects.filter(thread=OuterRef("pk"), country=viewer.country))
    )


def visible_threads(viewer: Viewer, group: WorkingGroup | None = None) -> QuerySet[Thread]:
    """Return the threads `viewer` may see: in their groups, addressed to their country.

    A thread whose opening post is not visible to the viewer (pending review,
    say) is not visible either.
    """
    if not _signed_in(viewer):
        return Thread.objects.none()
    threads = Thread.objects.all() if group is None else Thread.objects.filter(group=group)
    if viewer.is_staff:
        return threads
    threads = threads.filter(
        Exists(Membership.objects.filter(group=OuterRef("group"), member=viewer)),
        audience_filter(viewer),
    )
    opening_visible = Post.objects.filter(thread=OuterRef("pk"), parent__isnull=True).filter(
        _post_status_filter(viewer, moderated_groups=_moderated_group_ids(viewer))
    )
    return threads.filter(Exists(opening_visible))


def _moderated_group_ids(viewer: Viewer) -> QuerySet:
    return Membership.objects.filter(member=viewer, role__in=MODERATING_ROLES).values("group")


def _post_status_filter(viewer: Viewer, *, moderated_groups, prefix: str = "") -> Q:
    """Published and removed posts show (removed as a placeholder); pending and
    rejected ones only to their author and the group's moderators.

    `prefix` reaches the post through a relation (search entries: "post__")."""
    shown = Q(**{f"{prefix}status__in": [PostStatus.PUBLISHED, PostStatus.REMOVED]})
    own = Q(**{f"{prefix}author": viewer})
    # The thread is asked only for a pending or rejected post (a correlated EXISTS):
    # a join would have the database hash every thread to check a page of rows.
    in_moderated_group = Thread.objects.filter(
        pk=OuterRef(f"{prefix}thread_id"), group__in=moderated_groups
    )
    moderated = Q(**{f"{prefix}status__in": [PostStatus.PENDING, PostStatus.REJECTED]}) & Q(
        Exists(in_moderated_group)
    )
    return shown | own | moderated


def visible_posts_filter(viewer: Viewer) -> Q:
    """`visible_posts`' rule as a filter over posts of many threads (already visible
    ones): unread counts per thread in one query."""
    if viewer.is_staff:
        return Q()
    return _post_status_filter(viewer, moderated_groups=_moderated_group_ids(viewer))


def get_thread_or_404(viewer: Viewer, pk: int) -> Thread:
    """Return thread `pk` if `viewer` may see it; 404 for missing or outside their audience
    (`get_thread_for_page_or_404` also loads what a page shows with it)."""
    threads = visible_threads(viewer).select_related("group", "author")
    try:
        return threads.get(pk=pk)
    except Thread.DoesNotExist:
        raise Http404("No such thread.") from None


def visible_posts(viewer: Viewer, thread: Thread, *, moderator: bool = False) -> QuerySet[Post]:
    """Return the posts of a thread (already known visible) that `viewer` may see."""
    posts = Post.objects.filter(thread=thread)
    if viewer.is_staff or moderator:
        return posts
    return posts.filter(Q(status__in=[PostStatus.PUBLISHED, PostStatus.REMOVED]) | Q(author=viewer))


def get_post_or_404(viewer: Viewer, pk: int) -> Post:
    """Return post `pk` if `viewer` may see it and its thread; 404 otherwise."""
    post = (
        Post.objects.filter(pk=pk, thread__in=visible_threads(viewer))
        .select_related("thread", "thread__group", "author")
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    moderator = can_moderate(viewer, post.thread.group)
    if not visible_posts(viewer, post.thread, moderator=moderator).filter(pk=pk).exists():
        raise Http404("No such post.")
    return post


def can_view_thread(viewer: Viewer, thread: Thread) -> bool:
    return visible_threads(viewer).filter(pk=thread.pk).exists()


def can_start_thread(viewer: Viewer, group: WorkingGroup) -> bool:
    """Members of a group (any role) start threads in it; staff too."""
    return _signed_in(viewer) and (viewer.is_staff or role_in(viewer, group) is not None)


def can_reply(viewer: Viewer, thread: Thread, *, role: str | object | None = ...) -> bool:
    """Members who see a thread reply to it unless it is locked (moderators still may)."""
    if not _signed_in(viewer):
        return False
    if role is ...:
        role = role_in(viewer, thread.group)
    if role is None and not viewer.is_staff:
        return False
    if thread.locked:
        return viewer.is_staff or role in MODERATING_ROLES
    return True


def can_edit_post(viewer: Viewer, post: Post, *, moderator: bool | None = None) -> bool:
    """Authors edit their own posts, moderators any post in their group; not removed ones."""
    if not _signed_in(viewer) or post.status == PostStatus.REMOVED:
        return False
    if moderator is None:
        moderator = can_moderate(viewer, post.thread.group)
    return moderator or post.author_id == viewer.pk


def can_view_revisions(viewer: Viewer, post: Post) -> bool:
    """Authors and the group's moderators read a post's history; a removed post's text,
    current or earlier, only the moderators (its author sees the placeholder too)."""
    if not _signed_in(viewer):
        return False
    moderator = can_moderate(viewer, post.thread.group)
    if post.status == PostStatus.REMOVED:
        return moderator
    return moderator or post.author_id == viewer.pk


def members_who_see(thread: Thread, handles: set[str], writer: Viewer) -> QuerySet[Member]:
    """Return the members named in `handles` who may see `thread` and whom `writer`
    may see (for @mentions: the audience admits staff of any group, of whom a member
    sharing no group with them never learns)."""
    members = get_user_model().objects.filter(handle__in=handles, is_active=True)
    return members.filter(thread_audience(thread).members_q(thread.group_id)).filter(
        pk__in=visible_members(writer).values("pk")
    )


def mention_candidates(viewer: Viewer, thread: Thread, prefix: str) -> QuerySet[Member]:
    """Active members who may see `thread`, and whom `viewer` may see, whose handle or
    name starts with `prefix`."""
    return members_in_scope(viewer, thread_audience(thread), thread.group_id, prefix)


def members_in_scope(viewer: Viewer, scope: Scope, group_id: int, prefix: str) -> QuerySet[Member]:
    """Active members whom `scope` admits in group `group_id`, whom `viewer` may see
    (`scope` admits staff of any group, whom a member who shares no group with them
    never learns of), and whose handle or name starts with `prefix`: @mention
    candidates of a thread being written."""
    members = get_user_model().objects.filter(
        Q(handle__istartswith=prefix) | Q(display_name__istartswith=prefix), is_active=True
    )
    return (
        members.filter(scope.members_q(group_id))
        .filter(pk__in=visible_members(viewer).values("pk"))
        .order_by("display_name", "pk")
    )


# --- moderation -----------------------------------------------------------------------


def thread_countries(thread: Thread) -> list[str] | None:
    """Return the thread's audience countries, or None for the whole group."""
    if thread.audience == Audience.GROUP:
        return None
    return sorted(AudienceCountry.objects.filter(thread=thread).values_list("country", flat=True))


def is_cross_border(author: Member, countries: list[str] | None) -> bool:
    """A post is cross-border when its audience includes any country but its author's."""
    return countries is None or bool(set(countries) - {author.country.code})


def needs_review(author: Member, group: WorkingGroup, countries: list[str] | None) -> bool:
    """Return whether a post by `author` to `countries` waits for a moderator under the
    group's policy. Moderators, chairs and staff always publish directly."""
    if group.moderation_policy == ModerationPolicy.OFF or author.is_staff:
        return False
    role = role_in(author, group)
    if role in MODERATING_ROLES:
        return False
    if group.moderation_policy == ModerationPolicy.CROSS_BORDER and not is_cross_border(
        author, countries
    ):
        return False
    until = group.trusted_review_until if role == Role.TRUSTED else group.member_review_until
    if until is None:
        return True
    if until == 0:
        return False
    published = Post.objects.filter(
        author=author, thread__group=group, status=PostStatus.PUBLISHED
    ).count()
    return published < until


def active_mutes(group: WorkingGroup) -> QuerySet[Mute]:
    """Return the mutes in force in `group` now: not lifted, not yet over."""
    from django.utils import timezone

    return Mute.objects.filter(group=group, until__gt=timezone.now(), lifted_at=None)


def active_mute(member: Member, group: WorkingGroup) -> Mute | None:
    """Return the mute that keeps `member` from posting in `group` now, if any."""
    return active_mutes(group).filter(member=member).order_by("-until").first()


def moderated_groups(viewer: Viewer) -> QuerySet[WorkingGroup]:
    """Return the groups `viewer` moderates (all for staff)."""
    if not _signed_in(viewer):
        return WorkingGroup.objects.none()
    if viewer.is_staff:
        return WorkingGroup.objects.all()
    return WorkingGroup.objects.filter(
        memberships__member=viewer, memberships__role__in=MODERATING_ROLES
    )


def review_queue(viewer: Viewer, group: WorkingGroup | None = None) -> QuerySet[Review]:
    """Return the open reviews `viewer` may decide: in groups they moderate, on threads
    addressed to their country (a moderator never sees a post outside their audience)."""
    if not _signed_in(viewer):
        return Review.objects.none()
    reviews = Review.objects.filter(
        state=Review.State.OPEN,
        group__in=moderated_groups(viewer),
        post__thread__in=visible_threads(viewer, group),
    )
    return reviews.select_related(
        "group", "post", "post__author", "post__thread", "post__parent", "post__parent__author"
    ).prefetch_related("approvals__moderator", "post__thread__countries")


def get_review_or_404(viewer: Viewer, pk: int) -> Review:
    try:
        return review_queue(viewer).get(pk=pk)
    except (Review.DoesNotExist, ValueError):
        raise Http404("No such review.") from None


def report_queue(viewer: Viewer, group: WorkingGroup | None = None) -> QuerySet[Report]:
    """Return the open reports `viewer` may resolve, on posts they may see."""
    if not _signed_in(viewer):
        return Report.objects.none()
    return (
        Report.objects.filter(
            state=Report.State.OPEN,
            group__in=moderated_groups(viewer),
            post__thread__in=visible_threads(viewer, group),
        )
        .select_related("group", "post", "post__author", "post__thread")
        .prefetch_related("flags__reporter")
    )


def get_report_or_404(viewer: Viewer, pk: int) -> Report:
    try:
        return report_queue(viewer).get(pk=pk)
    except (Report.DoesNotExist, ValueError):
        raise Http404("No such report.") from None


def can_report(viewer: Viewer, post: Post) -> bool:
    """Members report published posts they can see, except their own."""
    return (
        _signed_in(viewer)
        and post.status == PostStatus.PUBLISHED
        and post.author_id != viewer.pk
        and visible_posts(viewer, post.thread).filter(pk=post.pk).exists()
    )


def audit_log(viewer: Viewer, group: WorkingGroup) -> QuerySet[AuditEntry]:
    """Return a group's moderation audit log for its chairs and staff; nothing otherwise."""
    if not can_chair(viewer, group):
        return AuditEntry.objects.none()
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    # A chair outside a thread's or a meeting's audience sees that something happened,
    # never the text (`readable` is False: reasons and details may quote the post or
    # the chat message). Meeting entries name their meeting in `details`.
    in_thread_audience = Exists(visible_threads(viewer).filter(pk=OuterRef("thread_id")))
    in_meeting_audience = Exists(visible_meetings(viewer).filter(pk=OuterRef("meeting_ref")))
    readable = Case(
        When(thread_id__isnull=False, then=in_thread_audience),
        When(details__has_key="meeting", then=in_meeting_audience),
        default=Value(True),
        output_field=BooleanField(),
    )
    return (
        AuditEntry.objects.filter(group=group)
        .annotate(meeting_ref=Cast(KT("details__meeting"), BigIntegerField()))
        .annotate(readable=readable)
        .select_related("actor", "member", "post")
    )


# --- the audience of one thing, as one value -----------------------------------------
# Everything a member can be sent (an event, a notification, a digest item) has a Scope.
# The in-memory check (`Scope.admits`, for sockets, digests and emails) and the SQL
# filter over members (`Scope.members_q`, for notifications and invitations) both derive
# from it, and tests/forum/test_visibility_property.py holds them equal to the page rule
# (`visible_threads`, `visible_meetings`).


@dataclass(frozen=True)
class Reader:
    """What a socket knows about its member, so delivery never touches the database."""

    member_id: int
    country: str
    staff: bool
    moderator: bool


@dataclass(frozen=True, slots=True)
class Scope:
    """Who, among a group's readers, may receive something.

    `countries` None means every country of the group; `moderators_only` narrows it
    to the group's moderators (a post waiting for review); `members` are always
    admitted (its author). Staff are admitted to everything.
    """

    countries: frozenset[str] | None = None
    moderators_only: bool = False
    members: frozenset[int] = frozenset()

    def admits(self, reader: Reader) -> bool:
        """Return whether something with this scope may reach `reader`."""
        if reader.staff or reader.member_id in self.members:
            return True
        if self.moderators_only and not reader.moderator:
            return False
        return self.countries is None or reader.country in self.countries

    @property
    def whole_group(self) -> bool:
        """Every reader of the group is admitted: the fan-out may skip the check."""
        return self.countries is None and not self.moderators_only

    def members_q(self, group_id: int) -> Q:
        """Return the condition on members that `admits` decides in memory, for `group_id`."""
        in_group = Membership.objects.filter(group=group_id, member=OuterRef("pk"))
        if self.moderators_only:
            in_group = in_group.filter(role__in=MODERATING_ROLES)
        admitted = Exists(in_group)
        if self.countries is not None:
            admitted &= Q(country__in=sorted(self.countries))
        admitted |= Q(is_staff=True)
        if self.members:
            admitted |= Q(pk__in=sorted(self.members)) & Exists(
                Membership.objects.filter(group=group_id, member=OuterRef("pk"))
            )
        return admitted

    def pending(self) -> Scope:
        """The scope of a post waiting for review where this scope would read it."""
        return Scope(countries=self.countries, moderators_only=True)

    def for_post(self, status: str, author_id: int | None = None) -> Scope:
        """The scope of a post with `status` in a thread of this scope: published and
        removed posts reach the whole scope (removed as a placeholder), pending and
        rejected ones only its moderators and their author. The one place that maps
        a moderation state to who may see it."""
        return Scope(
            countries=self.countries,
            moderators_only=status in (PostStatus.PENDING, PostStatus.REJECTED),
            members=frozenset([author_id]) if author_id else frozenset(),
        )

    def as_json(self) -> dict:
        """The form stored in the event log and carried by the channel layer."""
        return {
            "countries": None if self.countries is None else sorted(self.countries),
            "moderators": self.moderators_only,
            "members": sorted(self.members),
        }

    @classmethod
    def from_json(cls, data: dict | Scope) -> Scope:
        if isinstance(data, Scope):
            return data
        countries = data.get("countries")
        return cls(
            countries=None if countries is None else frozenset(countries),
            moderators_only=bool(data.get("moderators")),
            members=frozenset(data.get("members") or ()),
        )


def reader_for(member: Member, group: WorkingGroup) -> Reader:
    """Return the Reader for `member` in `group` (one query, at connect time)."""
    return Reader(
        member_id=member.pk,
        country=member.country.code,
        staff=member.is_staff,
        moderator=can_moderate(member, group),
    )


def thread_audience(
    thread: Thread, *, status: str = PostStatus.PUBLISHED, author_id: int | None = None
) -> Scope:
    """Return the scope of something in `thread` with post `status`.

    Published and removed things reach the thread's audience; pending and rejected
    ones only the group's moderators in that audience, and their author.
    """
    countries = (
        None
        if thread.audience == Audience.GROUP
        else frozenset(
            AudienceCountry.objects.filter(thread=thread).values_list("country", flat=True)
        )
    )
    return Scope(countries=countries).for_post(status, author_id)


def may_receive(audience: Scope | dict, reader: Reader) -> bool:
    """Return whether something with `audience` (a Scope or its logged form) may reach
    `reader`. Hot loops convert once with `Scope.from_json` and call `admits`."""
    return Scope.from_json(audience).admits(reader)


# --- meetings ------------------------------------------------------------------------
# A meeting's audience follows the thread rule: the whole group, or members in its
# countries; staff see all. Chairs are the organizer, the meeting's chairs and the
# group's moderators.


def meeting_audience_filter(viewer: Viewer) -> Q:
    """Return the condition a meeting meets when its audience includes `viewer`'s country."""
    from forum.models import MeetingCountry

    return Q(audience=Audience.GROUP) | Q(
        Exists(MeetingCountry.objects.filter(meeting=OuterRef("pk"), country=viewer.country))
    )


def visible_meetings(viewer: Viewer, group: WorkingGroup | None = None):
    """Return the meetings `viewer` may see: in their groups, addressed to their country."""
    from forum.models import Meeting

    if not _signed_in(viewer):
        return Meeting.objects.none()
    meetings = Meeting.objects.all() if group is None else Meeting.objects.filter(group=group)
    meetings = meetings.select_related("group", "organizer")
    if viewer.is_staff:
        return meetings
    return meetings.filter(
        Exists(Membership.objects.filter(group=OuterRef("group"), member=viewer)),
        meeting_audience_filter(viewer),
    )


def get_meeting_or_404(viewer: Viewer, pk: int):
    """Return meeting `pk` if `viewer` may see it; 404 for missing or outside its audience."""
    from forum.models import Meeting

    try:
        return visible_meetings(viewer).get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("No such meeting.") from None


def can_view_meeting(viewer: Viewer, meeting) -> bool:
    return visible_meetings(viewer).filter(pk=meeting.pk).exists()


def can_schedule_meeting(viewer: Viewer, group: WorkingGroup) -> bool:
    """Chairs and moderators of a group (and staff) schedule its meetings."""
    return can_moderate(viewer, group)


def can_chair_meeting(viewer: Viewer, meeting) -> bool:
    """The organizer, the meeting's chairs, the group's moderators and staff run a meeting."""
    if not _signed_in(viewer):
        return False
    if viewer.pk == meeting.organizer_id or can_moderate(viewer, meeting.group):
        return True
    return meeting.chairs.filter(pk=viewer.pk).exists()


def meeting_event_audience(meeting) -> Scope:
    """Return the scope of everything said or done in `meeting`'s room."""
    from forum.models import MeetingCountry

    if meeting.audience == Audience.GROUP:
        return Scope()
    return Scope(
        countries=frozenset(
            MeetingCountry.objects.filter(meeting=meeting).values_list("country", flat=True)
        )
    )


def meeting_invitees(meeting) -> QuerySet[Member]:
    """Return the active members of the meeting's group whom its audience includes."""
    members = get_user_model().objects.filter(is_active=True, memberships__group=meeting.group_id)
    scope = meeting_event_audience(meeting)
    if scope.countries is None:
        return members
    return members.filter(country__in=sorted(scope.countries))


def meeting_reader(member: Member, meeting) -> Reader:
    """Return the Reader for `member` in `meeting`'s room (at connect time)."""
    return reader_for(member, meeting.group)


# --- notifications and digests: many readers at once, in a constant number of queries ---


def readers_among(thread: Thread, member_ids) -> QuerySet[Member]:
    """Return the active members among `member_ids` who may read a published post in `thread`."""
    members = get_user_model().objects.filter(pk__in=list(member_ids), is_active=True)
    return members.filter(thread_audience(thread).members_q(thread.group_id))


def visible_thread_ids(viewer: Viewer, thread_ids) -> set[int]:
    """Return which of `thread_ids` `viewer` may see now (one query)."""
    ids = {pk for pk in thread_ids if pk is not None}
    if not ids:
        return set()
    return set(visible_threads(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def readable_posts(viewer: Viewer) -> QuerySet[Post]:
    """Return the posts whose text `viewer` may read now (removed ones show only as a
    placeholder, so their text is never readable here)."""
    if not _signed_in(viewer):
        return Post.objects.none()
    return Post.objects.filter(thread__in=visible_threads(viewer)).filter(
        readable_post_text(viewer)
    )


def readable_post_text(viewer: Viewer, *, prefix: str = "") -> Q:
    """Return the condition on a post, in a thread `viewer` sees, whose text they may
    read now; `prefix` reaches the post through a relation (search entries: "post__")."""
    readable = ~Q(**{f"{prefix}status": PostStatus.REMOVED})
    if viewer.is_staff:
        return readable
    return readable & _post_status_filter(
        viewer, moderated_groups=_moderated_group_ids(viewer), prefix=prefix
    )


def readable_chat_messages(viewer: Viewer, group: WorkingGroup | None = None) -> QuerySet:
    """Return the chat messages `viewer` may read: in meetings they see, not removed."""
    from forum.models import ChatMessage

    return ChatMessage.objects.filter(
        meeting__in=visible_meetings(viewer, group).order_by(), removed_at__isnull=True
    )


def readable_post_ids(viewer: Viewer, post_ids) -> set[int]:
    """Return which of `post_ids` `viewer` may read the text of now (one query)."""
    ids = {pk for pk in post_ids if pk is not None}
    if not ids or not _signed_in(viewer):
        return set()
    return set(readable_posts(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def inbox(viewer: Viewer) -> QuerySet:
    """Return `viewer`'s notifications, each annotated `available`: whether what it is
    about (its post, thread or meeting) is still there for them. The list, the unread
    count and the live badge all count from this one query."""
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    from forum.models import Notification

    if not _signed_in(viewer):
        return Notification.objects.none()
    meeting_id = Cast(KeyTextTransform("meeting", "data"), BigIntegerField())
    from projects.visibility import docking_item_available

    available = Case(
        When(kind=Notification.Kind.DOCKING, then=docking_item_available(viewer)),
        When(
            kind=Notification.Kind.MEETING,
            meeting_id__isnull=False,
            then=Exists(visible_meetings(viewer).filter(pk=OuterRef("meeting_id"))),
        ),
        When(
            post__isnull=False,
            then=Exists(readable_posts(viewer).filter(pk=OuterRef("post_id"))),
        ),
        When(
            thread__isnull=False,
            then=Exists(visible_threads(viewer).filter(pk=OuterRef("thread_id"))),
        ),
        default=Value(True),
        output_field=BooleanField(),
    )
    return (
        Notification.objects.filter(recipient=viewer)
        .annotate(meeting_id=meeting_id)
        .annotate(available=available)
    )


def readers_by_group(members) -> dict[tuple[int, int], Reader]:
    """Return a Reader per (member id, group id) the members may read (one query).

    Staff read every group; others the groups they belong to, as moderators where
    their role moderates. Deciding with `may_receive` then needs no query per member.
    """
    members = list(members)
    readers: dict[tuple[int, int], Reader] = {}
    staff = [m for m in members if m.is_staff]
    rows = Membership.objects.filter(member__in=[m for m in members if not m.is_staff])
    by_id = {m.pk: m for m in members}
    for member_id, group_id, role in rows.values_list("member_id", "group_id", "role"):
        member = by_id[member_id]
        readers[member_id, group_id] = Reader(
            member_id=member_id,
            country=member.country.code,
            staff=False,
            moderator=role in MODERATING_ROLES,
        )
    if staff:
        for group_id in WorkingGroup.objects.values_list("pk", flat=True):
            for member in staff:
                readers[member.pk, group_id] = Reader(
                    member_id=member.pk, country=member.country.code, staff=True, moderator=True
                )
    return readers


def audiences_of(thread_ids) -> dict[int, Scope]:
    """Return the scope of published posts in each thread (one query, plus one for the
    countries of country-limited threads)."""
    threads = list(Thread.objects.filter(pk__in=set(thread_ids)).values_list("pk", "audience"))
    limited = [pk for pk, audience in threads if audience != Audience.GROUP]
    countries: dict[int, list[str]] = {pk: [] for pk in limited}
    if limited:
        for thread_id, code in AudienceCountry.objects.filter(thread__in=limited).values_list(
            "thread_id", "country"
        ):
            countries[thread_id].append(code)
    return {
        pk: Scope(countries=None if audience == Audience.GROUP else frozenset(countries[pk]))
        for pk, audience in threads
    }


def upcoming_meetings_for(members, start, end) -> dict[int, list]:
    """Return, per member id, the meetings starting in [start, end) that each member may
    see, soonest first (a constant number of queries, whatever the number of members)."""
    from forum.models import Meeting, MeetingState

    members = list(members)
    meetings = list(
        Meeting.objects.filter(
            starts_at__gte=start,
            starts_at__lt=end,
            state__in=[MeetingState.SCHEDULED, MeetingState.LIVE],
        )
        .prefetch_related("countries")
        .order_by("starts_at", "pk")
    )
    if not meetings or not members:
        return {}
    readers = readers_by_group(members)
    audiences = {
        meeting.pk: Scope(
            countries=None
            if meeting.audience == Audience.GROUP
            else frozenset(c.country.code for c in meeting.countries.all())
        )
        for meeting in meetings
    }
    found: dict[int, list] = {}
    for member in members:
        for meeting in meetings:
            reader = readers.get((member.pk, meeting.group_id))
            if reader is not None and audiences[meeting.pk].admits(reader):
                found.setdefault(member.pk, []).append(meeting)
    return found


# --- live fan-out ------------------------------------------------------------------


def reaches_every_reader(audience: Scope | dict) -> bool:
    """Return whether `may_receive(audience, reader)` holds for every reader of the group.

    Lets the fan-out skip the per-socket check for the common case, a post everyone
    in the group may see.
    """
    return Scope.from_json(audience).whole_group


# === Pages: decisions in bulk ==========================================================
# A page loads its posts once and asks the rules above for each of them, without a
# query per post; templates show these decisions and never re-derive them.


def _thread_for_page(shape: tuple, refine, *, viewer: int, thread: int) -> QuerySet[Thread]:
    # Built from a stand-in that has only VIEWER_FIELDS: reading more of it fails.
    row = viewer_stand_in(viewer, shape)
    my_role = Membership.objects.filter(group=OuterRef("group_id"), member=row).values("role")
    threads = (
        visible_threads(row)
        .select_related("group", "author")
        .annotate(viewer_role=Subquery(my_role[:1]))
    )
    if refine is not None:
        threads = refine(threads, row)
    return threads.filter(pk=thread)


_THREAD_FOR_PAGE = PreparedQuery(_thread_for_page)
_ID_MAX = 2**63 - 1


def get_thread_for_page_or_404(viewer: Viewer, pk: int, *, refine=None) -> Thread:
    """Return thread `pk` as `get_thread_or_404` does, with the viewer's role in its group
    loaded by the same query, so `role_in` and `can_moderate` on it cost nothing.

    `refine(threads, viewer)` may add annotations for the viewer (their read mark);
    it must be a module-level function, since the query is built once per viewer shape
    and `refine` (Django took longer to build this query than the database to run it).
    """
    if not _signed_in(viewer) or not 0 < pk <= _ID_MAX:
        raise Http404("No such thread.")
    shape = viewer_shape(viewer)
    found = _THREAD_FOR_PAGE.objects((shape, refine), shape, refine, viewer=viewer.pk, thread=pk)
    if not found:
        raise Http404("No such thread.")
    thread = found[0]
    thread.group.viewer_role = thread.viewer_role
    thread.group.viewer_role_for = viewer.pk
    return thread


@dataclass(frozen=True)
class PostDecisions:
    """What one viewer may do with one post on a page."""

    reply: bool  # reply to it, or quote it
    edit: bool
    history: bool  # see its earlier versions
    report: bool
    moderate: bool  # the moderators' buttons, the removal reason and the removed text


def shown_post_may_be_reported(viewer: Viewer, post: Post) -> bool:
    """`can_report` for a post already loaded through `visible_posts`: no query."""
    return (
        _signed_in(viewer) and post.status == PostStatus.PUBLISHED and (post.author_id != viewer.pk)
    )


def post_decisions(viewer: Viewer, thread: Thread, posts) -> dict[int, PostDecisions]:
    """Decide, for each of `posts` of `thread` (loaded through `visible_posts`), what
    `viewer` may do with it, keyed by post id.

    No query when `thread` comes from `get_thread_for_page_or_404`. A removed post's
    history is for moderators only, like its text.
    """
    moderator = can_moderate(viewer, thread.group)
    replies = can_reply(viewer, thread, role=role_in(viewer, thread.group))
    decisions = {}
    for post in posts:
        post.thread = thread  # the rules read the post's group through its thread
        removed = post.status == PostStatus.REMOVED
        decisions[post.pk] = PostDecisions(
            reply=replies and post.status == PostStatus.PUBLISHED,
            edit=can_edit_post(viewer, post, moderator=moderator),
            history=post.edited_at is not None
            and (moderator or not removed)
            and can_view_revisions(viewer, post),
            report=shown_post_may_be_reported(viewer, post),
            moderate=moderator,
        )
    return decisions
