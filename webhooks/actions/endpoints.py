"""Chairs manage their group's endpoints: create, edit, enable or disable, rotate the
secret, delete, send a test, resend a delivery. Every action checks who acts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Member
from forum import visibility as forum_visibility
from forum.models import Membership, Role, WorkingGroup
from webhooks import crypto, network
from webhooks import visibility as webhook_visibility
from webhooks.actions import deliveries
from webhooks.models import Delivery, DeliveryState, Endpoint, EventType, Format

ROTATION_OVERLAP = timedelta(hours=24)
NAME_MAX = 100
URL_MAX = 2000
ENDPOINTS_PER_GROUP = 10


def _check_chair(actor: Member, group: WorkingGroup) -> None:
    if not forum_visibility.can_chair(actor, group):
        raise PermissionDenied(_("Only the group's chairs manage its webhooks."))


def _clean(
    actor: Member, *, name: str, url: str | None, format_: str, events: Iterable[str], country: str
) -> tuple[str, str, list[str]]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the endpoint a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("At most %(max)d characters.") % {"max": NAME_MAX}})
    if format_ not in Format.values:
        raise ValidationError({"format": _("Unknown format.")})
    chosen = sorted(set(events))
    if not chosen or set(chosen) - set(EventType.values):
        raise ValidationError({"events": _("Choose at least one event.")})
    if country and not webhook_visibility.can_bind_country(actor):
        raise PermissionDenied(_("Only staff bind an endpoint to a country."))
    if url is not None:
        url = url.strip()
        if len(url) > URL_MAX:
            raise ValidationError({"url": _("At most %(max)d characters.") % {"max": URL_MAX}})
        try:
            network.check_url(url)
        except network.Refused as refused:
            raise ValidationError({"url": str(refused)}) from None
    return name, url or "", chosen


def create_endpoint(
    *,
    actor: Member,
    group: WorkingGroup,
    name: str,
    url: str,
    format_: str = Format.STANDARD,
    events: Iterable[str] = tuple(EventType.values),
    include_excerpt: bool = False,
    country: str = "",
) -> tuple[Endpoint, str]:
    """Add an endpoint to `group`; return it with its signing secret (shown once)."""
    _check_chair(actor, group)
    name, url, chosen = _clean(
        actor, name=name, url=url, format_=format_, events=events, country=country
    )
    secret = crypto.new_secret()
    with transaction.atomic():
        if Endpoint.objects.filter(group=group).count() >= ENDPOINTS_PER_GROUP:
            raise ValidationError(
                _("A working group can have at most %(max)d webhooks.")
                % {"max": ENDPOINTS_PER_GROUP}
            )
        endpoint = Endpoint.objects.create(
            group=group,
            name=name,
            format=format_,
            url_encrypted=crypto.encrypt(url),
            url_masked=crypto.mask_url(url),
            events=chosen,
            country=country,
            include_excerpt=include_excerpt,
            secret_encrypted=crypto.encrypt(secret),
            created_by=actor,
        )
    return endpoint, secret


def edit_endpoint(
    *,
    actor: Member,
    endpoint: Endpoint,
    name: str,
    url: str | None = None,
    format_: str,
    events: Iterable[str],
    include_excerpt: bool,
    country: str | None = None,
) -> Endpoint:
    """Change an endpoint; `url` None keeps the stored one, `country` None keeps the binding
    (only staff change it)."""
    _check_chair(actor, endpoint.group)
    keep_country = country is None
    name, url, chosen = _clean(
        actor,
        name=name,
        url=url or None,
        format_=format_,
        events=events,
        country="" if keep_country else country,
    )
    if (
        not keep_country
        and country != endpoint.country
        and not (webhook_visibility.can_bind_country(actor))
    ):
        raise PermissionDenied(_("Only staff bind an endpoint to a country."))
    endpoint.name, endpoint.format, endpoint.events = name, format_, chosen
    endpoint.include_excerpt = include_excerpt
    fields = ["name", "format", "events", "include_excerpt", "updated_at"]
    if url:
        endpoint.url_encrypted, endpoint.url_masked = crypto.encrypt(url), crypto.mask_url(url)
        fields += ["url_encrypted", "url_masked"]
    if not keep_country:
        endpoint.country = country
        fields.append("country")
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=fields)
    return endpoint


def set_enabled(*, actor: Member, endpoint: Endpoint, enabled: bool) -> Endpoint:
    """Turn an endpoint on or off; while off, its new events are not queued."""
    _check_chair(actor, endpoint.group)
    now = timezone.now()
    endpoint.enabled = enabled
    endpoint.disabled_at = None if enabled else now
    endpoint.disabled_reason = (
        "" if enabled else _("Disabled by %(name)s.") % {"name": actor.display_name}
    )
    endpoint.updated_at = now
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])
    return endpoint


def rotate_secret(*, actor: Member, endpoint: Endpoint) -> str:
    """Give the endpoint a new secret; the old one keeps signing beside it for 24 hours,
    so a receiver can switch without losing a message. Return the new secret."""
    _check_chair(actor, endpoint.group)
    secret = crypto.new_secret()
    now = timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret_encrypted = locked.secret_encrypted
        locked.previous_secret_until = now + ROTATION_OVERLAP
        locked.secret_encrypted = crypto.encrypt(secret)
        locked.updated_at = now
        locked.save(
            update_fields=[
                "previous_secret_encrypted",
                "previous_secret_until",
                "secret_encrypted",
                "updated_at",
            ]
        )
    endpoint.refresh_from_db()
    return secret


def delete_endpoint(*, actor: Member, endpoint: Endpoint) -> None:
    """Delete an endpoint with its log; nothing more is sent to it."""
    _check_chair(actor, endpoint.group)
    endpoint.delete()


def send_test(*, actor: Member, endpoint: Endpoint) -> Delivery:
    """Queue a test message to the endpoint; its result shows in the log."""
    _check_chair(actor, endpoint.group)
    with transaction.atomic():
        return deliveries.queue_test(endpoint)


def resend(*, actor: Member, delivery: Delivery) -> Delivery:
    """Send a delivery again (same message id: a receiver that took it knows it)."""
    _check_chair(actor, delivery.endpoint.group)
    if delivery.state == DeliveryState.SENDING:
        raise ValidationError(_("This delivery is being sent right now."))
    if not delivery.endpoint.enabled and delivery.event_type != "webhook.test":
        raise ValidationError(_("Enable the endpoint before resending."))
    with transaction.atomic():
        return deliveries.requeue(delivery)


# --- what the sending side decides ----------------------------------------------------


def disable_gone(endpoint: Endpoint) -> None:
    """The receiver answered 410 Gone: stop sending to it, and tell the chairs."""
    now = timezone.now()
    changed = Endpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False,
        disabled_at=now,
        disabled_reason="The receiver answered 410 Gone.",
        updated_at=now,
    )
    endpoint.enabled = False
    if changed:
        _mail_chairs_on_commit(
            endpoint,
            lambda: _("Webhook %(name)s disabled") % {"name": endpoint.name},
            lambda: (
                _(
                    "The receiver of the webhook “%(name)s” (%(url)s) in %(group)s answered "
                    "410 Gone, so the forum disabled it. A chair can enable it again on the "
                    "group's webhooks page."
                )
                % {"name": endpoint.name, "url": endpoint.url_masked, "group": endpoint.group.name}
            ),
        )


def tell_chairs_exhausted(endpoint: Endpoint, delivery: Delivery) -> None:
    """Every retry of `delivery` failed: tell the group's chairs."""
    _mail_chairs_on_commit(
        endpoint,
        lambda: _("Webhook %(name)s: a message could not be delivered") % {"name": endpoint.name},
        lambda: (
            _(
                "The forum tried for about four days to deliver the %(event)s message %(id)s to "
                "the webhook “%(name)s” (%(url)s) in %(group)s, and every attempt failed. The "
                "endpoint's delivery log shows each answer; “Resend” tries again."
            )
            % {
                "event": delivery.event_type,
                "id": delivery.message_id,
                "name": endpoint.name,
                "url": endpoint.url_masked,
                "group": endpoint.group.name,
            }
        ),
    )


def _mail_chairs_on_commit(endpoint: Endpoint, subject, body) -> None:
    """Mail the group's chairs once the outcome is committed (never from a rollback)."""
    transaction.on_commit(lambda: _mail_chairs(endpoint, subject, body), robust=True)


def _mail_chairs(endpoint: Endpoint, subject, body) -> None:
    chairs = Member.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(group=endpoint.group_id, role=Role.CHAIR).values("member"),
    )
    for chair in chairs:
        with translation.override(getattr(chair, "language", None) or None):
            message = EmailMessage(subject(), body(), to=[chair.email])
        try:
            message.send()
        except Exception:  # one unreachable mailbox must not stop the others
            deliveries.logger.warning("Could not mail chair %s about a webhook", chair.pk)
