"""Pages of the docking platform: thin, asking projects.visibility and calling actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from accounts.models import Organization
from attachments import visibility as attachment_visibility
from attachments.forms import Uploads
from forum import calendar, inbox
from forum.ids import parse_id
from projects import machine, suggestions
from projects import visibility as rules
from projects.actions import dockings as docking_actions
from projects.actions import listings as listing_actions
from projects.actions import organizations as organization_actions
from projects.forms import (
    CloseListingForm,
    InterestForm,
    ListingFilterForm,
    ListingForm,
    NoteForm,
    OrganizationProfileForm,
    ProposeForm,
    SignForm,
    SlotsForm,
    zone_name,
)
from projects.models import (
    Docking,
    DockingState,
    Listing,
    ListingReview,
    ListingState,
)

LISTINGS_PER_PAGE = 20


def _refuse(form: Form, error: ValidationError | PermissionDenied) -> None:
    """Show an action's refusal on the form, keeping what the member typed."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(error) or _("You are not allowed to do that."))


def _say(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error) or _("You are not allowed to do that."))


def _filtered(request: HttpRequest, form: ListingFilterForm):
    listings = rules.listings_for_page(request.user)
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ListingState.PUBLISHED
    listings = listings.filter(state=state)
    if data.get("q"):
        listings = listings.filter(title__icontains=data["q"])
    for name, field in (
        ("kind", "kind"),
        ("sector", "sector_id"),
        ("country", "host_country"),
        ("size", "size"),
        ("stage", "stage"),
    ):
        if data.get(name):
            listings = listings.filter(**{field: data[name]})
    if data.get("seeks"):
        # `seeks` is a short JSON list of known words: match the quoted word.
        listings = listings.filter(seeks__icontains=f'"{data["seeks"]}"')
    if data.get("mine") and request.user.organization_id:
        listings = listings.filter(organization=request.user.organization_id)
    return listings.order_by("-published_at", "-pk"), data


@login_required
@require_GET
def listing_list(request: HttpRequest) -> HttpResponse:
    """Listings the member may see, filtered on every field; newest first or suggested
    for them. Works without JavaScript (a GET form)."""
    form = ListingFilterForm(request.GET or None)
    listings, data = _filtered(request, form)
    suggested = suggestions.suggestions_for(request.user)
    if data.get("sort") == "suggested":
        profile = suggestions.profile_of(request.user)
        scored = [suggestions.score(listing, profile) for listing in listings[:200]]
        scored.sort(key=lambda s: -s.score)
        page = Paginator(scored, LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
    else:
        page = Paginator(listings, LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
        rows = [suggestions.Suggestion(listing, 0, []) for listing in page.object_list]
    group = listing_actions.promotion_group_or_none()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/listing_list.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "suggested": suggested,
            "can_list": group is not None and rules.can_list(request.user, group),
            "stale": list(rules.stale_listings(request.user)[:20]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_new(request: HttpRequest) -> HttpResponse:
    group = listing_actions.promotion_group_or_none()
    if group is None or not rules.can_list(request.user, group):
        raise Http404("Not found.")
    form = ListingForm(request.POST or None)
    uploads = Uploads(request, kind="projects.Listing")
    if _valid_with_files(request, form, uploads):
        data = form.cleaned_data
        try:
            listing = uploads.save_with(
                lambda: listing_actions.create_listing(
                    author=request.user,
                    data=data,
                    audience=data["audience"],
                    countries=data.get("countries") or [],
                    submit="submit" in request.POST,
                )
            )
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            _said_state(request, listing)
            return redirect(listing.get_absolute_url())
    return render(
        request,
        "projects/listing_form.html",
        {"form": form, "uploads": uploads, "listing": None, "policy": group.moderation_policy},
    )


def _valid_with_files(request: HttpRequest, form: Form, uploads: Uploads) -> bool:
    """A posted form whose fields and files are all good; a refused file's reason goes on
    the form either way (what was typed and the accepted files come back)."""
    if request.method != "POST":
        return False
    form_ok = form.is_valid()
    return uploads.is_valid(form) and form_ok


def _said_state(request: HttpRequest, listing: Listing) -> None:
    if listing.state == ListingState.PENDING:
        messages.info(
            request,
            _(
                "Your listing waits for a moderator of the project-promotion group. Until "
                "then only your organization and the moderators can see it."
            ),
        )
    elif listing.state == ListingState.PUBLISHED:
        messages.success(request, _("Your listing is published."))
    else:
        messages.info(request, _("Saved as a draft: submit it when it is ready."))


@login_required
@require_GET
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inbox_seq = inbox.position(request.user.pk)
    listing = rules.get_listing_or_404(request.user, pk)
    member = request.user
    owner = rules.is_owner(member, listing)
    facilitator = rules.is_facilitator(member, listing.group)
    my_docking = None
    if member.organization_id and not owner:
        my_docking = (
            Docking.objects.filter(listing=listing, organization=member.organization_id)
            .order_by("-created_at")
            .first()
        )
    dockings = []
    if owner or facilitator:
        dockings = list(
            rules.visible_dockings(member)
            .filter(listing=listing)
            .select_related("organization")
            .order_by("-last_step_at")
        )
    contact = rules.can_see_contact(member, listing)
    open_review = (
        listing.reviews.filter(state=ListingReview.State.OPEN).first()
        if owner or facilitator
        else None
    )
    may_express = (
        listing.state == ListingState.PUBLISHED
        and member.organization_id is not None
        and not owner
        and (my_docking is None or not my_docking.is_open)
    )
    return render(
        request,
        "projects/listing_detail.html",
        {
            "inbox_seq": inbox_seq,
            "listing": listing,
            "countries": [c.country for c in listing.countries.all()],
            "owner": owner,
            "facilitator": facilitator,
            "contact": contact,
            "my_docking": my_docking,
            "dockings": dockings,
            "open_review": open_review,
            "interest_form": InterestForm() if may_express else None,
            "propose_form": ProposeForm(organizations=_introducible(listing))
            if facilitator and listing.state == ListingState.PUBLISHED
            else None,
            "close_form": CloseListingForm() if owner else None,
            "files": attachment_visibility.files_of(member, [listing]).get(listing.pk, []),
        },
    )


def _introducible(listing: Listing):
    return Organization.objects.exclude(pk=listing.organization_id).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = rules.get_listing_or_404(request.user, pk)
    if not rules.can_edit_listing(request.user, listing):
        raise Http404("No such listing.")
    initial = {
        name: getattr(listing, name)
        for name in listing_actions.EDITABLE
        if name not in ("sector", "host_country")
    }
    initial["sector"] = listing.sector_id
    initial["host_country"] = listing.host_country.code
    form = ListingForm(request.POST or None, initial=initial, editing=True)
    uploads = Uploads(request, owner=listing)
    if _valid_with_files(request, form, uploads):
        try:
            review = uploads.save_with(
                lambda: listing_actions.edit_listing(
                    editor=request.user, listing=listing, data=form.cleaned_data
                ),
                owner_of=lambda _review: listing,
            )
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            if review is not None:
                messages.info(
                    request,
                    _(
                        "Your edit waits for a moderator; readers see the listing as it was "
                        "until it is approved."
                    ),
                )
            else:
                messages.success(request, _("Saved."))
            return redirect(listing.get_absolute_url())
    return render(
        request,
        "projects/listing_form.html",
        {
            "form": form,
            "uploads": uploads,
            "listing": listing,
            "policy": listing.group.moderation_policy,
        },
    )


@login_required
@require_POST
def listing_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's buttons: submit, pause, resume, renew, close (with an outcome)."""
    listing = rules.get_listing_or_404(request.user, pk)
    if not rules.can_edit_listing(request.user, listing):
        raise Http404("No such listing.")
    action = request.POST.get("action", "")
    member = request.user
    try:
        if action == "submit":
            listing = listing_actions.submit_listing(member=member, listing=listing)
            _said_state(request, listing)
        elif action == "pause":
            listing_actions.pause_listing(member=member, listing=listing)
        elif action == "resume":
            listing_actions.resume_listing(member=member, listing=listing)
        elif action == "renew":
            listing_actions.renew_listing(member=member, listing=listing)
            messages.success(request, _("Renewed for another twelve months."))
        elif action == "close":
            form = CloseListingForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose an outcome."))
            listing_actions.close_listing(
                member=member, listing=listing, outcome=form.cleaned_data["outcome"]
            )
        else:
            raise Http404("No such action.")
    except (ValidationError, PermissionDenied) as error:
        _say(request, error)
    return redirect(listing.get_absolute_url())


@login_required
@require_POST
def express_interest(request: HttpRequest, pk: int) -> HttpResponse:
    listing = rules.get_listing_or_404(request.user, pk)
    form = InterestForm(request.POST)
    if form.is_valid():
        try:
            docking = docking_actions.express_interest(
                member=request.user, listing=listing, message=form.cleaned_data["message"]
            )
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            messages.success(
                request,
                _("Your interest was sent. The listing's organization will answer here."),
            )
            return redirect(docking.get_absolute_url())
    return render(
        request,
        "projects/interest_form.html",
        {"listing": listing, "form": form},
        status=400,
    )


@login_required
@require_POST
def not_interested(request: HttpRequest, pk: int) -> HttpResponse:
    listing = rules.get_listing_or_404(request.user, pk)
    docking_actions.not_interested(member=request.user, listing=listing)
    messages.info(request, _("We will not suggest this listing to you again."))
    return redirect("projects:listings")


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    listing = rules.get_listing_or_404(request.user, pk)
    if not rules.is_facilitator(request.user, listing.group):
        raise Http404("No such listing.")
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    form = ProposeForm(request.POST, organizations=_introducible(listing))
    if form.is_valid():
        try:
            docking = docking_actions.propose_introduction(
                facilitator=request.user,
                listing=listing,
                organization=form.cleaned_data["organization"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            _say(request, error)
        else:
            messages.success(request, _("Introduction proposed: both organizations must accept."))
            return redirect(docking.get_absolute_url())
    else:
        messages.error(request, _("Choose an organization."))
    return redirect(listing.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """A listing (or an edit) waiting for review: approve, or reject with a note."""
    item = rules.get_listing_review_or_404(request.user, parse_id(pk))
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action == "approve":
                item = listing_actions.approve_review(moderator=request.user, review=item)
                if item.state == ListingReview.State.OPEN:
                    messages.info(
                        request, _("Approved; a moderator from another country must too.")
                    )
                else:
                    messages.success(request, _("Approved."))
            elif action == "reject":
                listing_actions.reject_review(
                    moderator=request.user, review=item, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Rejected; the author was told why."))
            else:
                raise Http404("No such action.")
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            return redirect(
                "projects:listings" if action == "reject" else item.listing.get_absolute_url()
            )
    return render(
        request,
        "projects/review.html",
        {"review": item, "listing": item.listing, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_profile(request: HttpRequest) -> HttpResponse:
    org = request.user.organization
    if org is None:
        raise Http404("No organization.")
    initial = {
        "sectors": list(org.sectors.all()),
        "countries": list(org.operating_countries.values_list("code", flat=True)),
        "offers": org.offers,
        "icoca_status": org.icoca_status,
    }
    form = OrganizationProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization_actions.set_profile(
                member=request.user,
                sectors=data["sectors"],
                countries=data["countries"],
                offers=data["offers"],
                icoca_status=data["icoca_status"],
            )
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            messages.success(request, _("Your organization's profile is saved."))
            return redirect("projects:organization")
    return render(request, "projects/organization.html", {"form": form, "organization": org})


# --- dockings ---------------------------------------------------------------------------


@login_required
@require_GET
def docking_list(request: HttpRequest) -> HttpResponse:
    """The member's organization's dockings (both sides) and, for facilitators, theirs."""
    inbox_seq = inbox.position(request.user.pk)
    dockings = (
        rules.visible_dockings(request.user)
        .select_related("listing", "listing__organization", "organization")
        .order_by("-last_step_at", "-pk")
    )
    state = request.GET.get("state", "")
    if state in DockingState.values:
        dockings = dockings.filter(state=state)
    elif state == "open":
        dockings = dockings.filter(state__in=[s.value for s in machine.OPEN])
    page = Paginator(dockings, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/docking_list.html",
        {
            "inbox_seq": inbox_seq,
            "page": page,
            "state": state,
            "states": DockingState.choices,
            "stale": list(rules.stale_listings(request.user)[:20]),
        },
    )


def _docking_context(request: HttpRequest, docking: Docking, inbox_seq: int) -> dict:
    side = rules.docking_side(request.user, docking)
    steps = list(docking.steps.select_related("actor").order_by("created_at", "pk"))
    slots = docking_actions.current_slots(docking)
    allowed = machine.allowed_actions(
        state=docking.state, side=side, meeting_requested_by=docking.meeting_requested_by
    )
    if "accept" in allowed:
        mine = docking.owner_accepted_at if side == "owner" else docking.partner_accepted_at
        if mine is not None:
            allowed.remove("accept")
    contact = rules.can_see_contact(request.user, docking.listing)
    return {
        "inbox_seq": inbox_seq,
        "docking": docking,
        "listing": docking.listing,
        "side": side,
        "steps": [(step, machine.ACTION_LABELS.get(step.action, step.action)) for step in steps],
        "slots": slots,
        "chosen": docking_actions.chosen_slot(docking),
        "allowed": allowed,
        "contact": contact,
        "zone": zone_name(request.user),
        "note_form": NoteForm(),
        "slots_form": SlotsForm(),
        "sign_form": SignForm(),
    }


@login_required
@require_GET
def docking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inbox_seq = inbox.position(request.user.pk)
    docking = rules.get_docking_or_404(request.user, pk)
    return render(request, "projects/docking.html", _docking_context(request, docking, inbox_seq))


@login_required
@require_POST
def docking_step(request: HttpRequest, pk: int) -> HttpResponse:
    """One step, from the docking page's buttons; a refusal says why and keeps the text."""
    docking = rules.get_docking_or_404(request.user, pk)
    action = request.POST.get("action", "")
    if action not in machine.TABLE:
        raise Http404("No such step.")
    member = request.user
    form: Form
    if action == "request_meeting":
        form = SlotsForm(request.POST)
    elif action == "sign":
        form = SignForm(request.POST)
    else:
        form = NoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "accept":
                docking_actions.accept(actor=member, docking=docking, note=data["note"])
            elif action in ("decline", "withdraw", "not_a_fit"):
                docking_actions.close(
                    actor=member, docking=docking, action=action, note=data["note"]
                )
            elif action == "request_meeting":
                docking_actions.request_meeting(
                    actor=member, docking=docking, slots=form.slots(), note=data["note"]
                )
            elif action == "pick_slot":
                docking_actions.pick_slot(
                    actor=member,
                    docking=docking,
                    slot_id=parse_id(request.POST.get("slot", "")),
                    note=data["note"],
                )
            elif action == "sign":
                docking_actions.sign(
                    actor=member,
                    docking=docking,
                    signed_on=data["signed_on"],
                    kind=data["kind"],
                    value=data["value"],
                    announceable=data["announceable"],
                    note=data["note"],
                )
            else:  # remind, no_response: the scheduled jobs' steps
                from projects.machine import check

                check(action, state=docking.state, side=rules.docking_side(member, docking))
        except (ValidationError, PermissionDenied) as error:
            _refuse(form, error)
        else:
            return redirect(docking.get_absolute_url())
    inbox_seq = inbox.position(request.user.pk)
    docking.refresh_from_db()
    context = _docking_context(request, docking, inbox_seq)
    context["error_form"] = form
    context[{"request_meeting": "slots_form", "sign": "sign_form"}.get(action, "note_form")] = form
    return render(request, "projects/docking.html", context, status=400)


@login_required
@require_GET
def docking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The scheduled meeting as an iCalendar file (RFC 5545), for both parties."""
    docking = rules.get_docking_or_404(request.user, pk)
    slot = docking_actions.chosen_slot(docking)
    if slot is None or docking.state not in (DockingState.SCHEDULED, DockingState.SIGNED):
        raise Http404("No meeting scheduled.")
    host = request.get_host().split(":")[0]
    url = request.build_absolute_uri(docking.get_absolute_url())
    from django.utils import timezone

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{calendar.PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:docking-{docking.pk}-slot-{slot.pk}@{host}",
        f"DTSTAMP:{calendar.utc_stamp(timezone.now())}",
        f"DTSTART:{calendar.utc_stamp(slot.starts_at)}",
        f"DTEND:{calendar.utc_stamp(slot.ends_at)}",
        "SUMMARY:"
        + calendar.escape_text(
            _("Docking meeting: %(listing)s") % {"listing": docking.listing.title}
        ),
        "DESCRIPTION:"
        + calendar.escape_text(
            f"{docking.listing.organization.name} · {docking.organization.name}\n{url}"
        ),
        f"URL:{url}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    body = "".join(calendar.fold(line) + "\r\n" for line in lines)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="docking-{docking.pk}.ics"'
    return response
