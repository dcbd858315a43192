"""The moderators' pages: review queue, reports, mutes, policy, and the chairs' audit log."""

from __future__ import annotations

import csv
import json
from datetime import UTC, timedelta
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from accounts.models import Member
from attachments import visibility as attachment_visibility
from countries.reference import country_choices
from forum import events, visibility
from forum.actions import moderation as actions
from forum.forms import (
    EditPostForm,
    MuteForm,
    PolicyForm,
    RejectForm,
    ReportForm,
    ResolveReportForm,
)
from forum.ids import parse_id
from forum.models import Mute, Review
from forum.models.groups import MODERATING_ROLES
from forum.views.threads import _apply_errors, _moderation_gate

AGES = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}
LOG_PER_PAGE = 50


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _refusal(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do that.")


@login_required
def queue(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Pending posts and edits, oldest first, then open reports; filters by group,
    author country and age. /mod/ covers every group the member moderates."""
    group = visibility.get_group_or_404(request.user, slug) if slug else None
    if group is not None:
        gate = _moderation_gate(request, group)
    elif not visibility.moderated_groups(request.user).exists():
        raise Http404("Not found.")
    else:
        gate = redirect_to_mfa_setup(request)
    if gate is not None:
        return gate
    reviews = visibility.review_queue(request.user, group)
    reports = visibility.report_queue(request.user, group)
    groups = visibility.moderated_groups(request.user).order_by("name")
    chosen = request.GET.get("group", "")[:50]
    if group is None and chosen:
        reviews = reviews.filter(group__slug=chosen)
        reports = reports.filter(group__slug=chosen)
    country = [
        c.upper() for c in request.GET.getlist("country")[:50] if len(c) == 2 and c.isascii()
    ]
    if country:
        reviews = reviews.filter(post__author__country__in=country)
    age = request.GET.get("age", "")
    if age in AGES:
        reviews = reviews.filter(submitted_at__lte=timezone.now() - AGES[age])
    reviews = reviews.order_by("submitted_at", "pk")
    context = {
        "group": group,
        "can_chair": bool(group) and visibility.can_chair(request.user, group),
        "groups": groups,
        "reviews": list(reviews[:200]),
        "reports": list(reports.order_by("created_at", "pk")[:200]),
        "filters": {"group": chosen, "country": country, "age": age},
        "country_choices": country_choices(),
        "reject_form": RejectForm(),
        "resolve_form": ResolveReportForm(),
        "stream_seq": events.last_seq(events.group_stream(group.pk)) if group else 0,
        "next": request.get_full_path(),
    }
    template = "forum/mod_queue_items.html" if request.GET.get("part") else "forum/mod_queue.html"
    return render(request, template, context)


def _review_or_404(request: HttpRequest, pk: int) -> tuple[Review, HttpResponse | None]:
    review = visibility.get_review_or_404(request.user, pk)
    return review, redirect_to_mfa_setup(request)


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pending post or edit in its thread's context: approve, reject, or edit and approve."""
    review, gate = _review_or_404(request, pk)
    if gate is not None:
        return gate
    post = review.post
    default_back = reverse("group_queue", args=[review.group.slug])
    reject_form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    text = review.body_source if review.kind == Review.Kind.EDIT else post.body_source
    title = (review.title or post.thread.title) if post.is_opening else None
    edit_form = EditPostForm(
        request.POST if request.POST.get("action") == "edit" else None,
        with_title=post.is_opening,
        initial={"title": title, "body": text},
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                actions.approve(moderator=request.user, review=review)
            elif action == "reject" and reject_form.is_valid():
                actions.reject(moderator=request.user, review=review, **reject_form.cleaned_data)
            elif action == "edit" and edit_form.is_valid():
                actions.edit_and_approve(
                    moderator=request.user,
                    review=review,
                    body=edit_form.cleaned_data["body"],
                    title=edit_form.cleaned_data.get("title"),
                )
            elif action not in ("reject", "edit"):
                raise ValidationError(_("Unknown action."))
            else:
                raise ValidationError(_("Please correct the form below."))
        except (ValidationError, PermissionDenied) as error:
            form = {"edit": edit_form, "reject": reject_form}.get(action)
            if form is None:  # approve, or an unknown action: no form to show it on
                messages.error(request, _refusal(error))
                return redirect(_back(request, default_back))
            _apply_errors(form, error)
        else:
            review.refresh_from_db()
            if review.state == Review.State.APPROVED:
                messages.success(request, _("Approved: the post is now visible to its audience."))
            elif review.state == Review.State.REJECTED:
                messages.success(request, _("Rejected: the author has been told why."))
            else:
                messages.success(request, _("Your approval is recorded; one more is needed."))
            return redirect(_back(request, default_back))
    # The files as published, and (for an edit) as the edit would leave them.
    published = attachment_visibility.files_of(request.user, [post]).get(post.pk, [])
    proposed = SimpleNamespace(my_review=review, files=published)
    attachment_visibility.with_proposed_files(request.user, [proposed])
    return render(
        request,
        "forum/mod_review.html",
        {
            "published_files": published,
            "proposed_files": proposed.files,
            "review": review,
            "post": post,
            "thread": post.thread,
            "group": review.group,
            "reject_form": reject_form,
            "edit_form": edit_form,
            "next": _back(request, default_back),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def approve_selected(request: HttpRequest) -> HttpResponse:
    """Batch approve: each selected review is approved on its own; refusals are listed."""
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    ids = [parse_id(raw) for raw in request.POST.getlist("review")[:200]]
    reviews = visibility.review_queue(request.user).filter(pk__in=ids)
    if not ids:
        messages.error(request, _("Select the posts to approve."))
    else:
        approved, errors = actions.approve_many(moderator=request.user, reviews=reviews)
        if approved:
            messages.success(
                request,
                ngettext("%(n)d post approved.", "%(n)d posts approved.", approved)
                % {"n": approved},
            )
        for error in errors:
            messages.error(request, error)
    return redirect(_back(request, reverse("queue")))


@login_required
@require_POST
def resolve_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = visibility.get_report_or_404(request.user, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    form = ResolveReportForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if request.POST.get("action") == "remove":
            actions.remove_reported(moderator=request.user, report=report, note=note)
            messages.success(request, _("The post was removed."))
        elif request.POST.get("action") == "dismiss":
            actions.dismiss_report(moderator=request.user, report=report, note=note)
            messages.success(request, _("The report was dismissed."))
        else:
            raise ValidationError(_("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _refusal(error))
    return redirect(_back(request, reverse("group_queue", args=[report.group.slug])))


@login_required
@require_http_methods(["GET", "POST"])
def report_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Any member may report a published post they can see."""
    post = visibility.get_post_or_404(request.user, pk)
    if not visibility.can_report(request.user, post):
        raise Http404("No such post.")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_post(reporter=request.user, post=post, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Thank you. The moderators will look at this post."))
            return redirect("post", pk=post.pk)
    return render(
        request,
        "forum/post_report.html",
        {"post": post, "thread": post.thread, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mutes(request: HttpRequest, slug: str) -> HttpResponse:
    """Mute a member in the group for a while, with a reason; lift a mute."""
    group = visibility.get_group_or_404(request.user, slug)
    if (gate := _moderation_gate(request, group)) is not None:
        return gate
    members = (
        visibility.group_roster(request.user, group)
        .exclude(role__in=MODERATING_ROLES)
        .values_list("member", flat=True)
    )
    candidates = Member.objects.filter(pk__in=members).order_by("display_name")
    form = MuteForm(request.POST if "mute" in request.POST else None, members=candidates)
    if request.method == "POST":
        try:
            if "lift" in request.POST:
                mute = Mute.objects.filter(group=group, pk=parse_id(request.POST["lift"])).first()
                if mute is None:
                    raise ValidationError(_("No such mute."))
                actions.unmute(moderator=request.user, mute=mute)
                messages.success(request, _("The mute was lifted."))
                return redirect("group_mutes", slug=group.slug)
            if form.is_valid():
                actions.mute(moderator=request.user, group=group, **form.cleaned_data)
                messages.success(request, _("The member is muted."))
                return redirect("group_mutes", slug=group.slug)
        except (ValidationError, PermissionDenied) as error:
            if not form.is_bound:  # lifting a mute: no form to show the error on
                messages.error(request, _refusal(error))
                return redirect("group_mutes", slug=group.slug)
            _apply_errors(form, error)
    active = visibility.active_mutes(group).select_related("member", "created_by").order_by("until")
    return render(
        request,
        "forum/mod_mutes.html",
        {"group": group, "form": form, "mutes": active},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest, slug: str) -> HttpResponse:
    """Chairs choose how the group pre-moderates."""
    group = visibility.get_group_or_404(request.user, slug)
    if not visibility.can_chair(request.user, group):
        raise Http404("Not found.")
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    current = {
        "moderation_policy": group.moderation_policy,
        "approvals_required": group.approvals_required,
        "member_review_until": group.member_review_until,
        "trusted_review_until": group.trusted_review_until,
    }
    form = PolicyForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            actions.set_policy(
                chair=request.user,
                group=group,
                policy=data["moderation_policy"],
                approvals_required=data["approvals_required"],
                member_review_until=data["member_review_until"],
                trusted_review_until=data["trusted_review_until"],
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The moderation policy was saved."))
            return redirect("group_policy", slug=group.slug)
    return render(
        request,
        "forum/mod_policy.html",
        {"group": group, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _cell(value: object) -> str:
    """Keep spreadsheets from running what a member or moderator wrote as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    """The group's moderation audit log for chairs; `?format=csv` downloads all of it."""
    group = visibility.get_group_or_404(request.user, slug)
    if not visibility.can_chair(request.user, group):
        raise Http404("Not found.")
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    entries = visibility.audit_log(request.user, group)
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())
        header = [
            "time_utc",
            "action",
            "actor",
            "actor_email",
            "actor_country",
            "post_id",
            "thread_id",
            "member",
            "member_email",
            "reason",
            "details",
        ]

        hidden = _("(outside your audience)")

        def rows():
            yield writer.writerow(header)
            for e in entries.order_by("created_at", "pk").iterator(chunk_size=500):
                yield writer.writerow(
                    _cell(value)
                    for value in [
                        e.created_at.astimezone(UTC).isoformat(),
                        e.action,
                        e.actor.display_name,
                        e.actor.email,
                        e.actor_country.code,
                        e.post_id or "",
                        e.thread_id or "",
                        e.member.display_name if e.member else "",
                        e.member.email if e.member else "",
                        e.reason if e.readable else hidden,
                        json.dumps(e.details, sort_keys=True, ensure_ascii=False)
                        if e.readable
                        else hidden,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="audit-{group.slug}-{stamp}.csv"'
        return response
    page = Paginator(entries, LOG_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "forum/mod_log.html", {"group": group, "page": page})


def open_review_count(member, group) -> int:
    """How many posts wait for `member` in `group` (for the group page's link)."""
    return visibility.review_queue(member, group).count()
