"""Country pages: the list of partner countries, one country, assessing, reviewing, and the
annual report as HTML and PDF. Thin: reads come from countries.pages, writes from actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from countries import pages, printing
from countries import visibility as rules
from countries.actions import assessments as assessment_actions
from countries.actions import follows, reports
from countries.forms import AssessmentForm, DecisionForm
from countries.models import Level
from forum import limits
from forum.ids import parse_id
from forum.views.threads import _apply_errors

EDITIONS = ("partners", "mine")


def _country(request: HttpRequest, code: str):
    return rules.get_country_or_404(request.user, code)


@login_required
@require_GET
def country_list(request: HttpRequest) -> HttpResponse:
    """Every partner country with its current levels; sort and filter by level and dimension."""
    dimension = request.GET.get("dimension", "")
    try:
        level = int(request.GET.get("level", "0"))
    except ValueError:
        level = 0
    level = level if level in Level.values else 0
    sort = request.GET.get("sort", "")
    dimensions, rows = pages.country_rows(request.user, dimension=dimension, level=level, sort=sort)
    return render(
        request,
        "countries/list.html",
        {
            "dimensions": dimensions,
            "rows": rows,
            "levels": Level.choices,
            "chosen": {"dimension": dimension, "level": level, "sort": sort},
            "reviewer": rules.can_review_assessments(request.user),
        },
    )


@login_required
@require_GET
def country_detail(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request, code)
    page = pages.country_page(request.user, country.code)
    return render(
        request,
        "countries/country.html",
        {"page": page, "year": timezone.localdate().year, "levels": Level.choices},
    )


@login_required
@require_POST
def follow(request: HttpRequest, code: str) -> HttpResponse:
    country = _country(request, code)
    following = request.POST.get("follow") == "1"
    follows.set_follow(member=request.user, country=country, follow=following)
    messages.success(
        request,
        _("You follow this country now.") if following else _("You no longer follow this country."),
    )
    return redirect("countries:country", code=country.code)


@login_required
@require_http_methods(["GET", "POST"])
def assess(request: HttpRequest, code: str) -> HttpResponse:
    """Write an assessment (trusted members and moderators of legal policy); 404 otherwise."""
    country = _country(request, code)
    if not rules.can_assess(request.user):
        raise Http404("No such page.")
    corrigible = rules.published_assessments().filter(country=country.code)
    form = AssessmentForm(
        request.POST or None,
        dimensions=pages.dimensions(),
        corrigible=corrigible,
        initial={"assessed_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = assessment_actions.submit_assessment(
                author=request.user, country=country.code, **form.action_arguments()
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.info(
                request,
                _("Your assessment waits for a legal-policy moderator's review."),
            )
            return redirect(assessment.get_absolute_url())
    return render(
        request,
        "countries/assess.html",
        {"form": form, "code": country.code, "name": pages.reference_name(country.code)},
    )


@login_required
@require_GET
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = rules.get_assessment_or_404(request.user, parse_id(pk))
    return render(
        request,
        "countries/assessment.html",
        {
            "assessment": assessment,
            "name": pages.reference_name(assessment.country_id),
            "may_decide": rules.may_approve(request.user, assessment),
            "form": DecisionForm(),
        },
    )


@login_required
@require_POST
def assessment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or send back a pending assessment: reviewers only, never its author."""
    assessment = rules.get_assessment_or_404(request.user, parse_id(pk))
    if not rules.can_review_assessments(request.user):
        raise Http404("No such assessment.")
    gate = redirect_to_mfa_setup(request)
    if gate is not None:
        return gate
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                decided = assessment_actions.approve_assessment(
                    moderator=request.user, assessment=assessment
                )
                if decided.status == "published":
                    messages.success(request, _("The assessment is published."))
                else:
                    messages.info(request, _("Your approval is recorded; one more is needed."))
            else:
                assessment_actions.reject_assessment(
                    moderator=request.user, assessment=assessment, note=form.cleaned_data["note"]
                )
                messages.info(request, _("The assessment was sent back to its author."))
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            return redirect(assessment.get_absolute_url())
    return render(
        request,
        "countries/assessment.html",
        {
            "assessment": assessment,
            "name": pages.reference_name(assessment.country_id),
            "may_decide": rules.may_approve(request.user, assessment),
            "form": form,
        },
        status=400,
    )


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """The assessments waiting for review, for legal-policy moderators; 404 for others."""
    if not rules.can_review_assessments(request.user):
        raise Http404("No such page.")
    return render(
        request, "countries/queue.html", {"assessments": list(rules.assessment_queue(request.user))}
    )


def _year(year: int) -> int:
    try:
        return reports.check_year(year)
    except ValidationError:
        raise Http404("No such report.") from None


def _edition(request: HttpRequest) -> str:
    edition = request.GET.get("edition", "partners")
    if edition not in EDITIONS:
        raise Http404("No such edition.")
    return edition


@login_required
@require_GET
def report_html(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The annual report as printable HTML; a published partners edition as stored."""
    country, year, edition = _country(request, code), _year(year), _edition(request)
    if edition == "partners" and (frozen := rules.frozen_report(country.code, year)):
        response = HttpResponse(frozen.html)
        response["X-Content-SHA256"] = frozen.html_sha256
        return response
    content = pages.report(request.user, country.code, year, edition)
    return HttpResponse(printing.render_html(content))


@login_required
@require_GET
def report_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The annual report as PDF; a published partners edition as stored."""
    country, year, edition = _country(request, code), _year(year), _edition(request)
    filename = f"{country.code}-{year}-{edition}.pdf"
    if edition == "partners" and (frozen := rules.frozen_report(country.code, year)):
        response = HttpResponse(bytes(frozen.pdf), content_type="application/pdf")
        response["X-Content-SHA256"] = frozen.pdf_sha256
    else:
        # Rendering a PDF is costly: a few per member and minute.
        per_minute = getattr(settings, "COUNTRIES_PDF_PER_MINUTE", 10)
        if not limits.consume(f"country-pdf:{request.user.pk}", limit=per_minute, window=60):
            return HttpResponse(
                _("Too many reports at once. Please wait a minute and try again."),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        content = pages.report(request.user, country.code, year, edition)
        response = HttpResponse(
            printing.render_pdf(printing.render_html(content)), content_type="application/pdf"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def report_publish(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """A legal-policy chair freezes the partners edition of a year; 404 for others."""
    country, year = _country(request, code), _year(year)
    if not rules.can_publish_report(request.user):
        raise Http404("No such report.")
    gate = redirect_to_mfa_setup(request)
    if gate is not None:
        return gate
    try:
        reports.publish_report(chair=request.user, country=country.code, year=year)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("The partners edition is published and frozen."))
    return redirect(reverse("countries:country", kwargs={"code": country.code}))
