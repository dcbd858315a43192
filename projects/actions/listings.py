"""Listings: writing, submitting, the moderators' review, pausing, closing, expiry and
renewal. Each function checks, writes in one transaction, and tells who should know."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as all_countries

from accounts.models import Member
from forum import events, limits, rendering, visibility
from forum.actions import threads as thread_actions
from forum.models import Audience, AudienceCountry, Post, PostStatus, Thread, WorkingGroup
from projects import visibility as project_visibility
from projects.actions.inbox import tell
from projects.models import (
    Listing,
    ListingCountry,
    ListingKind,
    ListingOutcome,
    ListingReview,
    ListingState,
    Offer,
    Sector,
    SizeBand,
    Stage,
)

# Fields a member writes; an edit of a published listing proposes new values of these.
EDITABLE = (
    "kind",
    "title",
    "summary",
    "sector",
    "host_country",
    "size",
    "stage",
    "seeks",
    "contact_name",
    "contact_email",
    "contact_phone",
)
CONTACT_MAX = 200


def lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "PROJECTS_LISTING_DAYS", 365))


def promotion_group() -> WorkingGroup:
    return WorkingGroup.objects.get(slug=project_visibility.promotion_group_slug())


def promotion_group_or_none() -> WorkingGroup | None:
    return WorkingGroup.objects.filter(slug=project_visibility.promotion_group_slug()).first()


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Check a listing's fields; return them normalized (the sector as its id)."""
    clean: dict[str, Any] = {}
    if data.get("kind") not in ListingKind.values:
        raise ValidationError(_("Choose whether this is a project, an offer or a request."))
    clean["kind"] = data["kind"]
    clean["title"] = limits.check_title(data.get("title") or "")
    clean["summary"] = limits.check_body(data.get("summary") or "")
    sector = data.get("sector")
    sector_id = sector.pk if isinstance(sector, Sector) else sector
    if not Sector.objects.filter(pk=sector_id).exists():
        raise ValidationError(_("Choose a sector."))
    clean["sector"] = sector_id
    country = (data.get("host_country") or "").upper()
    if country not in all_countries:
        raise ValidationError(_("Choose the host country."))
    clean["host_country"] = country
    if data.get("size") not in SizeBand.values:
        raise ValidationError(_("Choose a size."))
    clean["size"] = data["size"]
    if data.get("stage") not in Stage.values:
        raise ValidationError(_("Choose a stage."))
    clean["stage"] = data["stage"]
    seeks = list(dict.fromkeys(data.get("seeks") or []))
    if any(value not in Offer.values for value in seeks):
        raise ValidationError(_("Unknown choice in what the listing seeks."))
    clean["seeks"] = seeks
    for name in ("contact_name", "contact_email", "contact_phone"):
        value = limits.check_characters(data.get(name) or "").strip()
        if len(value) > CONTACT_MAX:
            raise ValidationError(_("Contact details can be at most 200 characters."))
        clean[name] = value
    if not clean["contact_name"] or not clean["contact_email"]:
        raise ValidationError(_("Give the contact people and an email address."))
    return clean


def _audience_countries(author: Member, audience: str, countries: Iterable[str]) -> list[str]:
    if audience == Audience.DOMESTIC:
        return [author.country.code]
    if audience == Audience.COUNTRIES:
        codes = sorted({c.upper() for c in countries if c and c.upper() in all_countries})
        if not codes:
            raise ValidationError(_("Choose at least one country for the audience."))
        # The author always reads their own listing, as with threads.
        return sorted(set(codes) | {author.country.code})
    if audience == Audience.GROUP:
        return []
    raise ValidationError(_("Unknown audience."))


def create_listing(
    *,
    author: Member,
    data: dict[str, Any],
    audience: str = Audience.GROUP,
    countries: Iterable[str] = (),
    submit: bool = False,
    demo: bool = False,
) -> Listing:
    """Write a draft listing for the author's organization; `submit` sends it for review."""
    group = promotion_group()
    if not project_visibility.can_list(author, group):
        raise PermissionDenied(
            _("Only members of the project-promotion group with an organization can list.")
        )
    clean = _clean(data)
    codes = _audience_countries(author, audience, countries)
    now = timezone.now()
    with transaction.atomic():
        listing = Listing.objects.create(
            group=group,
            organization_id=author.organization_id,
            author=author,
            audience=audience,
            sector_id=clean.pop("sector"),
            summary_html=rendering.render_markdown(clean["summary"]),
            created_at=now,
            updated_at=now,
            demo=demo,
            **clean,
        )
        ListingCountry.objects.bulk_create(
            [ListingCountry(listing=listing, country=code) for code in codes]
        )
        if submit:
            listing = submit_listing(member=author, listing=listing)
    return listing


def _lock(listing: Listing) -> Listing:
    return Listing.objects.select_for_update().select_related("group").get(pk=listing.pk)


def _countries(listing: Listing) -> list[str] | None:
    if listing.audience == Audience.GROUP:
        return None
    return sorted(listing.countries.values_list("country", flat=True))


def submit_listing(*, member: Member, listing: Listing) -> Listing:
    """Send a draft for publication: to the group's review queue under its policy, or
    straight to the audience when the policy lets the member publish directly."""
    if not project_visibility.can_edit_listing(member, listing):
        raise PermissionDenied(_("Only the listing's organization can submit it."))
    with transaction.atomic():
        listing = _lock(listing)
        if listing.state != ListingState.DRAFT:
            raise ValidationError(_("Only a draft can be submitted."))
        if visibility.needs_review(member, listing.group, _countries(listing)):
            listing.state = ListingState.PENDING
            listing.save(update_fields=["state"])
            ListingReview.objects.create(
                listing=listing, kind=ListingReview.Kind.PUBLISH, submitted_by=member
            )
        else:
            _publish(listing, member, timezone.now())
    return listing


def _apply(listing: Listing, fields: dict[str, Any]) -> None:
    fields = dict(fields)
    if "sector" in fields:
        fields["sector_id"] = fields.pop("sector")
    for name, value in fields.items():
        setattr(listing, name, value)
    listing.summary_html = rendering.render_markdown(listing.summary)
    listing.updated_at = timezone.now()


def edit_listing(*, editor: Member, listing: Listing, data: dict[str, Any]) -> ListingReview | None:
    """Change a listing. Drafts and pending listings change at once; a published one's
    edit waits for review under the group's policy (its readers keep seeing the approved
    text), and replaces an earlier edit still waiting. Return the review, if any."""
    if not project_visibility.can_edit_listing(editor, listing):
        raise PermissionDenied(_("Only the listing's organization can edit it."))
    clean = _clean(data)
    with transaction.atomic():
        listing = _lock(listing)
        if listing.state in (ListingState.CLOSED, ListingState.EXPIRED):
            raise ValidationError(_("A closed or expired listing cannot be edited; renew it."))
        if listing.state in (ListingState.DRAFT, ListingState.PENDING) or not (
            visibility.needs_review(editor, listing.group, _countries(listing))
        ):
            _apply(listing, clean)
            listing.save()
            return None
        ListingReview.objects.filter(
            listing=listing, state=ListingReview.State.OPEN, kind=ListingReview.Kind.EDIT
        ).update(state=ListingReview.State.WITHDRAWN, decided_at=timezone.now())
        return ListingReview.objects.create(
            listing=listing,
            kind=ListingReview.Kind.EDIT,
            proposed={**clean},
            submitted_by=editor,
        )


def _discussion(listing: Listing, now: datetime) -> Thread:
    """Open the listing's discussion thread, published, with the listing's audience."""
    url = reverse("projects:listing", kwargs={"pk": listing.pk})
    body = _("Discussion of the listing [%(title)s](%(url)s).") % {
        "title": listing.title.replace("]", ")").replace("[", "("),
        "url": url,
    }
    thread = Thread.objects.create(
        group=listing.group,
        title=listing.title,
        author=listing.author,
        audience=listing.audience,
        created_at=now,
        last_activity_at=now,
        post_counter=1,
    )
    AudienceCountry.objects.bulk_create(
        [
            AudienceCountry(thread=thread, country=code)
            for code in listing.countries.values_list("country", flat=True)
        ]
    )
    post = Post.objects.create(
        thread=thread,
        author=listing.author,
        number=1,
        depth=0,
        path=thread_actions._segment(1),
        status=PostStatus.PUBLISHED,
        body_source=body,
        body_html=rendering.render_markdown(body),
        created_at=now,
    )
    thread_actions._announce(
        post,
        thread,
        [],
        events.THREAD_CREATED,
        {**events.thread_payload(thread), "post": events.post_payload(post)},
    )
    return thread


def _publish(listing: Listing, actor: Member, now: datetime) -> None:
    listing.state = ListingState.PUBLISHED
    listing.published_at = listing.published_at or now
    listing.expires_at = now + lifetime()
    listing.expiry_reminded_at = None
    if listing.thread_id is None:
        listing.thread = _discussion(listing, now)
    listing.save()


def _tell_owner(listing: Listing, actor_id: int | None, event: str, **extra: Any) -> None:
    tell(
        recipient_ids=[listing.author_id],
        actor_id=actor_id,
        data={
            "event": event,
            "listing": listing.pk,
            "title": listing.title,
            "url": listing.get_absolute_url(),
            **extra,
        },
    )


def _check_reviewer(moderator: Member, review: ListingReview) -> None:
    listing = review.listing
    if not project_visibility.listing_review_queue(moderator).filter(pk=review.pk).exists():
        raise PermissionDenied(_("Only the group's moderators in the listing's audience decide."))
    if project_visibility.is_owner(moderator, listing) or review.submitted_by_id == moderator.pk:
        raise PermissionDenied(_("A moderator never approves their own organization's listing."))


def approve_review(*, moderator: Member, review: ListingReview) -> ListingReview:
    """Approve a publication or an edit. Four-eyes groups need two moderators from two
    countries; the first approval is recorded and the review stays open."""
    _check_reviewer(moderator, review)
    now = timezone.now()
    with transaction.atomic():
        review = ListingReview.objects.select_for_update().get(pk=review.pk)
        if review.state != ListingReview.State.OPEN:
            raise ValidationError(_("This review was already decided."))
        listing = _lock(review.listing)
        approvals = list(review.approvals)
        if any(a["moderator"] == moderator.pk for a in approvals):
            raise ValidationError(_("You already approved this; another moderator must too."))
        approvals.append({"moderator": moderator.pk, "country": moderator.country.code})
        review.approvals = approvals
        if listing.group.approvals_required == 2 and (len({a["country"] for a in approvals}) < 2):
            review.save(update_fields=["approvals"])
            return review
        review.state = ListingReview.State.APPROVED
        review.decided_at, review.decided_by = now, moderator
        review.save()
        if review.kind == ListingReview.Kind.PUBLISH:
            _publish(listing, moderator, now)
            _tell_owner(listing, moderator.pk, "listing_approved")
        else:
            _apply(listing, review.proposed)
            listing.save()
            _tell_owner(listing, moderator.pk, "edit_approved")
    return review


def reject_review(*, moderator: Member, review: ListingReview, note: str) -> ListingReview:
    """Refuse a publication (the listing goes back to draft) or an edit (it keeps its
    approved text), telling the author why."""
    _check_reviewer(moderator, review)
    note = limits.check_note(note)
    if not note:
        raise ValidationError(_("Say why, so that the author can fix it."))
    with transaction.atomic():
        review = ListingReview.objects.select_for_update().get(pk=review.pk)
        if review.state != ListingReview.State.OPEN:
            raise ValidationError(_("This review was already decided."))
        listing = _lock(review.listing)
        review.state = ListingReview.State.REJECTED
        review.decided_at, review.decided_by, review.note = timezone.now(), moderator, note
        review.save()
        if review.kind == ListingReview.Kind.PUBLISH:
            listing.state = ListingState.DRAFT
            listing.save(update_fields=["state"])
        _tell_owner(
            listing,
            moderator.pk,
            "listing_rejected" if review.kind == ListingReview.Kind.PUBLISH else "edit_rejected",
            note=note,
        )
    return review


def _owner_step(member: Member, listing: Listing, sources, target: str, **fields) -> Listing:
    if not project_visibility.can_edit_listing(member, listing):
        raise PermissionDenied(_("Only the listing's organization can do that."))
    with transaction.atomic():
        listing = _lock(listing)
        if listing.state not in sources:
            raise ValidationError(
                _("Not possible while the listing is %(state)s.")
                % {"state": ListingState(listing.state).label}
            )
        listing.state = target
        for name, value in fields.items():
            setattr(listing, name, value)
        listing.updated_at = timezone.now()
        listing.save()
    return listing


def pause_listing(*, member: Member, listing: Listing) -> Listing:
    """Stop taking interest for a while; the listing stays visible, marked paused."""
    return _owner_step(member, listing, [ListingState.PUBLISHED], ListingState.PAUSED)


def resume_listing(*, member: Member, listing: Listing) -> Listing:
    return _owner_step(member, listing, [ListingState.PAUSED], ListingState.PUBLISHED)


def close_listing(*, member: Member, listing: Listing, outcome: str) -> Listing:
    if outcome not in ListingOutcome.values:
        raise ValidationError(_("Choose an outcome."))
    return _owner_step(
        member,
        listing,
        [ListingState.PUBLISHED, ListingState.PAUSED, ListingState.EXPIRED],
        ListingState.CLOSED,
        outcome=outcome,
    )


def renew_listing(*, member: Member, listing: Listing) -> Listing:
    """One click: another full lifetime from today, back to published if it expired."""
    now = timezone.now()
    return _owner_step(
        member,
        listing,
        [ListingState.PUBLISHED, ListingState.PAUSED, ListingState.EXPIRED],
        ListingState.PUBLISHED if listing.state == ListingState.EXPIRED else listing.state,
        expires_at=now + lifetime(),
        expiry_reminded_at=None,
    )


# --- scheduled jobs -------------------------------------------------------------------


def remind_expiring(now: datetime | None = None) -> int:
    """Tell the authors of listings expiring within PROJECTS_EXPIRY_REMINDER_DAYS, once."""
    now = now or timezone.now()
    days = getattr(settings, "PROJECTS_EXPIRY_REMINDER_DAYS", 30)
    due = Listing.objects.filter(
        state__in=[ListingState.PUBLISHED, ListingState.PAUSED],
        expires_at__lte=now + timedelta(days=days),
        expires_at__gt=now,
        expiry_reminded_at__isnull=True,
    )
    count = 0
    for listing in list(due):
        with transaction.atomic():
            if not Listing.objects.filter(pk=listing.pk, expiry_reminded_at__isnull=True).update(
                expiry_reminded_at=now
            ):
                continue
            _tell_owner(
                listing, None, "listing_expiring", expires_at=listing.expires_at.isoformat()
            )
            count += 1
    return count


def expire_listings(now: datetime | None = None) -> int:
    """Mark published and paused listings past their expiry as expired; tell the authors."""
    now = now or timezone.now()
    due = list(
        Listing.objects.filter(
            state__in=[ListingState.PUBLISHED, ListingState.PAUSED], expires_at__lte=now
        )
    )
    count = 0
    for listing in due:
        with transaction.atomic():
            if not Listing.objects.filter(
                pk=listing.pk, state__in=[ListingState.PUBLISHED, ListingState.PAUSED]
            ).update(state=ListingState.EXPIRED, updated_at=now):
                continue
            _tell_owner(listing, None, "listing_expired")
            count += 1
    return count
