"""Who may see and do what. Every read path asks this module.

Functions either filter a queryset or raise. Lookups that must not reveal
whether something exists raise Http404 both for "missing" and "not yours".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from forum.models import (
    Audience,
    AudienceCountry,
    Membership,
    Post,
    PostStatus,
    Role,
    Thread,
    WorkingGroup,
)
from forum.models.groups import MODERATING_ROLES

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


def _post_status_filter(viewer: Viewer, *, moderated_groups) -> Q:
    """Published and removed posts show (removed as a placeholder); pending and
    rejected ones only to their author and the group's moderators."""
    shown = Q(status__in=[PostStatus.PUBLISHED, PostStatus.REMOVED])
    own = Q(author=viewer)
    moderated = Q(status=PostStatus.PENDING, thread__group__in=moderated_groups)
    return shown | own | moderated


def get_thread_or_404(viewer: Viewer, pk: int, *, refine=None) -> Thread:
    """Return thread `pk` if `viewer` may see it; 404 for missing or outside their audience.

    `refine` may add annotations to the one query (a page's live sequence number).
    """
    threads = visible_threads(viewer).select_related("group", "author")
    if refine is not None:
        threads = refine(threads)
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
    return _signed_in(viewer) and (
        post.author_id == viewer.pk or can_moderate(viewer, post.thread.group)
    )


def members_who_see(thread: Thread, handles: set[str]) -> QuerySet[Member]:
    """Return the members named in `handles` who may see `thread` (for @mentions)."""
    members = get_user_model().objects.filter(handle__in=handles, is_active=True)
    in_group = Exists(Membership.objects.filter(group=thread.group_id, member=OuterRef("pk")))
    if thread.audience == Audience.GROUP:
        return members.filter(in_group | Q(is_staff=True))
    countries = AudienceCountry.objects.filter(thread=thread).values("country")
    return members.filter((in_group & Q(country__in=countries)) | Q(is_staff=True))


# --- events: who receives what, decided without a query ----------------------------


@dataclass(frozen=True)
class Reader:
    """What a socket knows about its member, so delivery never touches the database."""

    member_id: int
    country: str
    staff: bool
    moderator: bool


def reader_for(member: Member, group: WorkingGroup) -> Reader:
    """Return the Reader for `member` in `group` (one query, at connect time)."""
    return Reader(
        member_id=member.pk,
        country=member.country.code,
        staff=member.is_staff,
        moderator=can_moderate(member, group),
    )


def thread_audience(thread: Thread, *, status: str = PostStatus.PUBLISHED, author_id=None):
    """Return the event audience for something in `thread` with post `status`.

    Published and removed things reach the thread's audience; pending and
    rejected ones only the group's moderators and their author.
    """
    countries = (
        None
        if thread.audience == Audience.GROUP
        else sorted(AudienceCountry.objects.filter(thread=thread).values_list("country", flat=True))
    )
    restricted = status in (PostStatus.PENDING, PostStatus.REJECTED)
    return {
        "countries": countries,
        "moderators": restricted,
        "members": [author_id] if author_id else [],
    }


def may_receive(audience: dict, reader: Reader) -> bool:
    """Return whether an event with `audience` may reach `reader`'s socket."""
    if reader.member_id in audience.get("members", ()):
        return True
    if reader.staff:
        return True
    countries = audience.get("countries")
    if audience.get("moderators"):
        return reader.moderator and (countries is None or reader.country in countries)
    return countries is None or reader.country in countries


# --- live fan-out ------------------------------------------------------------------


def reaches_every_reader(audience: dict) -> bool:
    """Return whether `may_receive(audience, reader)` holds for every reader of the group.

    Lets the fan-out skip the per-socket check for the common case, a post everyone
    in the group may see.
    """
    return audience.get("countries") is None and not audience.get("moderators")
