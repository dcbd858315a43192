"""The header's working groups, kept per member in the cache.

Every page's header lists the groups its reader may see. Asked of the database, that is
one query on every page; here it is read from the cache (shared through Redis when
several processes run), kept per member and dropped when anything it depends on
changes: the member's memberships, the member (staff, active), or any group (a new
group, a renamed one). `visibility.visible_groups` stays the rule it is built from.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.cache import cache

from forum import visibility

VERSION_KEY = "nav-groups:version"
TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class NavGroup:
    pk: int
    slug: str
    name: str


def _key(member_id: int) -> str:
    return f"nav-groups:{member_id}"


def nav_groups(viewer: visibility.Viewer) -> list[NavGroup]:
    """Return the groups `viewer` may see, for the header (by name, as the rule orders)."""
    if not (viewer and viewer.is_authenticated and viewer.is_active):
        return []
    found = cache.get_many([VERSION_KEY, _key(viewer.pk)])
    version = found.get(VERSION_KEY)
    if version is None:
        # No version (a fresh or evicted cache): start one, so no older entry can match.
        cache.add(VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(VERSION_KEY)
    cached = found.get(_key(viewer.pk))
    if cached is not None and cached[0] == version and cached[1] == viewer.is_staff:
        return cached[2]
    groups = [
        NavGroup(group.pk, group.slug, group.name)
        for group in visibility.visible_groups(viewer).only("pk", "slug", "name")
    ]
    cache.set(_key(viewer.pk), (version, viewer.is_staff, groups), TTL_SECONDS)
    return groups


def forget_member(member_id: int) -> None:
    """Drop one member's cached groups (their memberships or their account changed)."""
    cache.delete(_key(member_id))


def forget_everyone() -> None:
    """Drop every member's cached groups (a group was added, renamed or deleted)."""
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


def membership_changed(sender, instance, **kwargs) -> None:
    forget_member(instance.member_id)


def member_changed(sender, instance, update_fields=None, **kwargs) -> None:
    # Only staff and active change which groups a member sees (or whether any).
    if update_fields is not None and not {"is_staff", "is_active"} & set(update_fields):
        return
    forget_member(instance.pk)


def group_changed(sender, instance, **kwargs) -> None:
    forget_everyone()
