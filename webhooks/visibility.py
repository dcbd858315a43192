"""Who manages a group's webhooks, and which content an endpoint may receive.

Built on forum/visibility.py: the pages ask `can_chair` (chairs of the group and
staff; everyone else gets the same 404 as for a missing group or endpoint), and
the content rule asks the forum's `Scope` of the thing being sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from forum import visibility
from forum.models import Audience, WorkingGroup
from forum.visibility import Scope
from webhooks.models import Attempt, Delivery, Endpoint

if TYPE_CHECKING:
    from forum.visibility import Viewer


def get_group_or_404(viewer: Viewer, slug: str) -> WorkingGroup:
    """Return group `slug` when `viewer` manages its webhooks; 404 otherwise, like missing."""
    group = visibility.get_group_or_404(viewer, slug)
    if not visibility.can_chair(viewer, group):
        raise Http404("No such working group.")
    return group


def endpoints(viewer: Viewer, group: WorkingGroup) -> QuerySet[Endpoint]:
    """Return the endpoints of `group` that `viewer` manages (none unless they chair it)."""
    if not visibility.can_chair(viewer, group):
        return Endpoint.objects.none()
    return Endpoint.objects.filter(group=group)


def get_endpoint_or_404(viewer: Viewer, group: WorkingGroup, pk: int | None) -> Endpoint:
    endpoint = endpoints(viewer, group).filter(pk=pk).first() if pk is not None else None
    if endpoint is None:
        raise Http404("No such webhook.")
    return endpoint


def delivery_log(endpoint: Endpoint) -> QuerySet[Delivery]:
    """Return an endpoint's deliveries with their attempts, newest first (endpoint already
    checked with `get_endpoint_or_404`)."""
    return (
        Delivery.objects.filter(endpoint=endpoint)
        .order_by("-created_at", "-pk")
        .prefetch_related(
            _attempts_newest_first(),
        )
    )


def _attempts_newest_first():
    from django.db.models import Prefetch

    return Prefetch("attempts", queryset=Attempt.objects.order_by("-started_at", "-pk"))


def get_delivery_or_404(endpoint: Endpoint, pk: int | None) -> Delivery:
    delivery = Delivery.objects.filter(endpoint=endpoint, pk=pk).first() if pk else None
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def can_bind_country(viewer: Viewer) -> bool:
    """Only staff bind an endpoint to one country (it then receives that country's
    domestic content: a decision above any one group's chairs)."""
    return bool(viewer and viewer.is_authenticated and viewer.is_staff)


def endpoint_receives(country: str, scope: Scope | dict, audience: str) -> bool:
    """Return whether an endpoint bound to `country` ("" for none) may receive something
    with `scope` (its forum audience) whose audience kind is `audience`.

    Content for the whole group goes to every endpoint; a domestic thread or meeting of
    country C also to the endpoints bound to C; nothing waiting for review, and nothing
    addressed to a selection of countries.
    """
    scope = Scope.from_json(scope)
    if scope.moderators_only:
        return False
    if scope.whole_group:
        return True
    return (
        bool(country)
        and audience == Audience.DOMESTIC
        and scope.countries == frozenset({str(country)})
    )
