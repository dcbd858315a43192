"""Dockings: interest, double opt-in introduction, meeting slots, agreement or close.

Every step goes through `projects.machine` (state x action x side) and is written as
one conditional update, so that concurrent clicks make one step; the step joins the
timeline and reaches both organizations' inboxes after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member, Organization
from forum import limits, rendering
from projects import machine
from projects import visibility as project_visibility
from projects.models import (
    AgreementKind,
    Docking,
    DockingSlot,
    DockingState,
    DockingStep,
    Listing,
    ListingState,
    NotInterested,
)
from projects.tasks import notify_docking_step

MESSAGE_MAX = 4_000
MAX_SLOTS = 3
SLOT_MAX_HOURS = 12


def check_message(message: str) -> str:
    message = limits.check_characters(message or "").replace("\r\n", "\n").strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationError(
            _("A message can be at most %(max)d characters long (this one has %(n)d).")
            % {"max": MESSAGE_MAX, "n": len(message)},
            code="message_length",
        )
    return message


def _record(
    docking: Docking, action: str, actor: Member | None, side: str, note: str = ""
) -> DockingStep:
    step = DockingStep.objects.create(
        docking=docking,
        action=action,
        actor=actor,
        side=side,
        state=docking.state,
        note=note,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: notify_docking_step.enqueue(step.pk), robust=True)
    return step


def _open_exists_error() -> ValidationError:
    return ValidationError(
        _("Your organization already has an open docking with this listing."), code="open"
    )


def express_interest(*, member: Member, listing: Listing, message: str) -> Docking:
    """A member of another organization expresses interest in a published listing."""
    if not project_visibility.visible_listings(member).filter(pk=listing.pk).exists():
        raise PermissionDenied(_("No such listing."))
    if member.organization_id is None:
        raise PermissionDenied(_("Only members of an organization can express interest."))
    if project_visibility.is_owner(member, listing):
        raise PermissionDenied(_("This is your own organization's listing."))
    if listing.state != ListingState.PUBLISHED:
        raise ValidationError(_("This listing is not taking interest now."))
    message = check_message(message)
    if not message:
        raise ValidationError(_("Say briefly why your organization is interested."))
    now = timezone.now()
    try:
        with transaction.atomic():
            docking = Docking.objects.create(
                listing=listing,
                organization_id=member.organization_id,
                started_by=member,
                message=message,
                message_html=rendering.render_markdown(message),
                partner_accepted_at=now,
                created_at=now,
                last_step_at=now,
                demo=listing.demo,
            )
            _record(docking, "express_interest", member, "partner", message)
    except IntegrityError:
        raise _open_exists_error() from None
    return docking


def propose_introduction(
    *, facilitator: Member, listing: Listing, organization: Organization, note: str = ""
) -> Docking:
    """A facilitator proposes introducing an organization to a listing; both must accept."""
    if not project_visibility.visible_listings(facilitator).filter(pk=listing.pk).exists():
        raise PermissionDenied(_("No such listing."))
    if not project_visibility.is_facilitator(facilitator, listing.group):
        raise PermissionDenied(_("Only the group's moderators and chairs propose introductions."))
    if organization.pk == listing.organization_id:
        raise ValidationError(_("An organization cannot be introduced to its own listing."))
    if listing.state != ListingState.PUBLISHED:
        raise ValidationError(_("This listing is not taking interest now."))
    note = check_message(note)
    now = timezone.now()
    try:
        with transaction.atomic():
            docking = Docking.objects.create(
                listing=listing,
                organization=organization,
                started_by=facilitator,
                message=note,
                message_html=rendering.render_markdown(note) if note else "",
                proposed_by_facilitator=True,
                created_at=now,
                last_step_at=now,
                demo=listing.demo,
            )
            _record(docking, "propose", facilitator, "facilitator", note)
    except IntegrityError:
        raise _open_exists_error() from None
    return docking


def _side(actor: Member, docking: Docking) -> str | None:
    return project_visibility.docking_side(actor, docking)


def _advance(docking: Docking, expected: str, **changes) -> bool:
    """Move the docking if it is still in `expected`: one conditional update, so that of
    concurrent identical clicks exactly one wins."""
    changes.setdefault("last_step_at", timezone.now())
    moved = Docking.objects.filter(pk=docking.pk, state=expected).update(**changes)
    if moved:
        for name, value in changes.items():
            setattr(docking, name, value)
    return bool(moved)


def _changed_meanwhile() -> ValidationError:
    return ValidationError(
        _("Someone else moved this docking on just now; the page shows where it stands."),
        code="changed",
    )


def _prepare(actor: Member, docking: Docking, action: str) -> tuple[Docking, str]:
    docking = Docking.objects.select_related("listing", "listing__group", "organization").get(
        pk=docking.pk
    )
    side = _side(actor, docking)
    machine.check(
        action,
        state=docking.state,
        side=side,
        meeting_requested_by=docking.meeting_requested_by,
    )
    return docking, side


def accept(*, actor: Member, docking: Docking, note: str = "") -> Docking:
    """Accept the introduction for the actor's organization; when both sides have,
    the docking is introduced (and contact details open to both)."""
    note = check_message(note)
    with transaction.atomic():
        docking, side = _prepare(actor, docking, "accept")
        field = "owner_accepted_at" if side == "owner" else "partner_accepted_at"
        now = timezone.now()
        took = Docking.objects.filter(
            pk=docking.pk, state=DockingState.INTERESTED, **{f"{field}__isnull": True}
        ).update(**{field: now, "last_step_at": now})
        if not took:
            docking.refresh_from_db()
            if docking.state != DockingState.INTERESTED:
                raise _changed_meanwhile()
            raise ValidationError(_("Your organization has already accepted."), code="accepted")
        _record(docking, "accept", actor, side, note)
        if Docking.objects.filter(
            pk=docking.pk,
            state=DockingState.INTERESTED,
            owner_accepted_at__isnull=False,
            partner_accepted_at__isnull=False,
        ).update(state=DockingState.INTRODUCED, introduced_at=now):
            docking.refresh_from_db()
            _record(docking, "introduced", None, "system")
        else:
            docking.refresh_from_db()
    return docking


def _close(actor: Member | None, docking: Docking, action: str, side: str, note: str) -> Docking:
    reason = machine.TABLE[action].close_reason
    if not _advance(docking, docking.state, state=DockingState.CLOSED, close_reason=reason):
        raise _changed_meanwhile()
    _record(docking, action, actor, side, note)
    return docking


def close(*, actor: Member, docking: Docking, action: str, note: str = "") -> Docking:
    """Decline, withdraw or close as not a fit."""
    if action not in ("decline", "withdraw", "not_a_fit"):
        raise ValidationError(_("Unknown step."))
    note = check_message(note)
    with transaction.atomic():
        docking, side = _prepare(actor, docking, action)
        return _close(actor, docking, action, side, note)


def _clean_slots(slots: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    slots = [s for s in slots if s and s[0] is not None]
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise ValidationError(
            _("Propose one to %(max)d meeting times.") % {"max": MAX_SLOTS}, code="slots"
        )
    now = timezone.now()
    clean = []
    for starts, ends in slots:
        if timezone.is_naive(starts) or timezone.is_naive(ends):
            raise ValidationError(_("A meeting time needs its time zone."))
        if starts <= now:
            raise ValidationError(_("Meeting times must be in the future."), code="past")
        if not starts < ends <= starts + timedelta(hours=SLOT_MAX_HOURS):
            raise ValidationError(
                _("A meeting ends after it starts, within %(n)d hours.") % {"n": SLOT_MAX_HOURS}
            )
        clean.append((starts, ends))
    return sorted(set(clean))


def request_meeting(
    *, actor: Member, docking: Docking, slots: Sequence[tuple[datetime, datetime]], note: str = ""
) -> Docking:
    """Propose up to three meeting times; the other organization picks one."""
    slots = _clean_slots(slots)
    note = check_message(note)
    with transaction.atomic():
        docking, side = _prepare(actor, docking, "request_meeting")
        round_ = (
            max(
                docking.slots.values_list("round", flat=True),
                default=0,
            )
            + 1
        )
        if not _advance(
            docking,
            docking.state,
            state=DockingState.MEETING_REQUESTED,
            meeting_requested_by=side,
        ):
            raise _changed_meanwhile()
        DockingSlot.objects.bulk_create(
            [DockingSlot(docking=docking, starts_at=s, ends_at=e, round=round_) for s, e in slots]
        )
        _record(docking, "request_meeting", actor, side, note)
    return docking


def current_slots(docking: Docking) -> list[DockingSlot]:
    """The slots of the latest meeting request, soonest first."""
    slots = list(docking.slots.all())
    if not slots:
        return []
    latest = max(slot.round for slot in slots)
    return sorted((s for s in slots if s.round == latest), key=lambda s: s.starts_at)


def pick_slot(*, actor: Member, docking: Docking, slot_id: int, note: str = "") -> Docking:
    """The other organization picks one of the proposed times: the meeting is scheduled."""
    note = check_message(note)
    with transaction.atomic():
        docking, side = _prepare(actor, docking, "pick_slot")
        slot = next((s for s in current_slots(docking) if s.pk == slot_id), None)
        if slot is None:
            raise ValidationError(_("Pick one of the times proposed."), code="slot")
        if not _advance(docking, DockingState.MEETING_REQUESTED, state=DockingState.SCHEDULED):
            raise _changed_meanwhile()
        DockingSlot.objects.filter(pk=slot.pk).update(chosen=True)
        _record(docking, "pick_slot", actor, side, note)
    return docking


def chosen_slot(docking: Docking) -> DockingSlot | None:
    return next((s for s in docking.slots.all() if s.chosen), None)


def sign(
    *,
    actor: Member,
    docking: Docking,
    signed_on: date,
    kind: str,
    value: Decimal | str | None = None,
    announceable: bool = False,
    note: str = "",
) -> Docking:
    """Record a signed agreement: its date, kind, optional value and whether it may be
    announced."""
    if kind not in AgreementKind.values:
        raise ValidationError(_("Choose the kind of agreement: MoU, LOI or contract."))
    if not isinstance(signed_on, date) or signed_on > timezone.localdate() + timedelta(days=1):
        raise ValidationError(_("Give the date the agreement was signed (not in the future)."))
    if value in ("", None):
        value = None
    else:
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(_("The value is a number of US dollars.")) from None
        if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
            raise ValidationError(_("The value is a number of US dollars."))
    note = check_message(note)
    with transaction.atomic():
        docking, side = _prepare(actor, docking, "sign")
        if not _advance(
            docking,
            docking.state,
            state=DockingState.SIGNED,
            agreement_date=signed_on,
            agreement_kind=kind,
            agreement_value=value,
            announceable=bool(announceable),
        ):
            raise _changed_meanwhile()
        _record(docking, "sign", actor, side, note)
    return docking


def not_interested(*, member: Member, listing: Listing) -> None:
    """Never suggest `listing` to `member` again."""
    if not project_visibility.visible_listings(member).filter(pk=listing.pk).exists():
        raise PermissionDenied(_("No such listing."))
    NotInterested.objects.get_or_create(member=member, listing=listing)


# --- scheduled jobs -------------------------------------------------------------------


def remind_unanswered(now: datetime | None = None) -> int:
    """Remind both sides of interest unanswered for PROJECTS_REMIND_AFTER_DAYS, once."""
    now = now or timezone.now()
    days = getattr(settings, "PROJECTS_REMIND_AFTER_DAYS", 7)
    due = Docking.objects.filter(
        state=DockingState.INTERESTED,
        last_step_at__lte=now - timedelta(days=days),
        reminded_at__isnull=True,
    )
    count = 0
    for docking in list(due):
        with transaction.atomic():
            if not Docking.objects.filter(
                pk=docking.pk, state=DockingState.INTERESTED, reminded_at__isnull=True
            ).update(reminded_at=now):
                continue
            docking.refresh_from_db()
            _record(docking, "remind", None, "system")
            count += 1
    return count


def close_unanswered(now: datetime | None = None) -> int:
    """Close interest unanswered for PROJECTS_NO_RESPONSE_DAYS as "no response"."""
    now = now or timezone.now()
    days = getattr(settings, "PROJECTS_NO_RESPONSE_DAYS", 21)
    due = Docking.objects.filter(
        state=DockingState.INTERESTED, created_at__lte=now - timedelta(days=days)
    )
    count = 0
    for docking in list(due):
        with transaction.atomic():
            if not _advance(
                docking,
                DockingState.INTERESTED,
                state=DockingState.CLOSED,
                close_reason="no_response",
                last_step_at=now,
            ):
                continue
            _record(docking, "no_response", None, "system")
            count += 1
    return count
