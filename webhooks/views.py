"""A group's webhooks, for its chairs: thin views over webhooks.actions.

Everyone but the group's chairs and staff gets the same 404 as for a missing page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import redirect_to_mfa_setup
from forum.ids import parse_id
from webhooks import visibility
from webhooks.actions import endpoints as actions
from webhooks.forms import EndpointForm
from webhooks.models import Endpoint

LOG_PAGE = 50


def _apply_errors(form: EndpointForm, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


def _endpoint(request: HttpRequest, slug: str, pk: int):
    group = visibility.get_group_or_404(request.user, slug)
    return group, visibility.get_endpoint_or_404(request.user, group, parse_id(pk))


def _secret_page(request: HttpRequest, endpoint: Endpoint, secret: str, created: bool):
    return render(
        request,
        "webhooks/secret.html",
        {"group": endpoint.group, "endpoint": endpoint, "secret": secret, "created": created},
    )


@login_required
@require_GET
def endpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    group = visibility.get_group_or_404(request.user, slug)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    return render(
        request,
        "webhooks/list.html",
        {"group": group, "endpoints": visibility.endpoints(request.user, group)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_new(request: HttpRequest, slug: str) -> HttpResponse:
    group = visibility.get_group_or_404(request.user, slug)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    staff = visibility.can_bind_country(request.user)
    form = EndpointForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = actions.create_endpoint(
                actor=request.user,
                group=group,
                name=data["name"],
                url=data["url"],
                format_=data["format"],
                events=data["events"],
                include_excerpt=data["include_excerpt"],
                country=data.get("country", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            return _secret_page(request, endpoint, secret, created=True)
    return render(
        request,
        "webhooks/form.html",
        {"group": group, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    staff = visibility.can_bind_country(request.user)
    initial = {
        "name": endpoint.name,
        "format": endpoint.format,
        "events": endpoint.events,
        "include_excerpt": endpoint.include_excerpt,
        "country": endpoint.country,
    }
    form = EndpointForm(request.POST or None, initial=initial, editing=True, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.edit_endpoint(
                actor=request.user,
                endpoint=endpoint,
                name=data["name"],
                url=data["url"] or None,
                format_=data["format"],
                events=data["events"],
                include_excerpt=data["include_excerpt"],
                country=data.get("country") if staff else None,
            )
        except (ValidationError, PermissionDenied) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The webhook was saved."))
            return redirect("webhook_detail", slug=group.slug, pk=endpoint.pk)
    page = Paginator(visibility.delivery_log(endpoint), LOG_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {"group": group, "endpoint": endpoint, "form": form, "page": page},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def endpoint_toggle(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    enabled = request.POST.get("enabled") == "1"
    actions.set_enabled(actor=request.user, endpoint=endpoint, enabled=enabled)
    messages.success(
        request, _("The webhook is enabled.") if enabled else _("The webhook is disabled.")
    )
    return redirect("webhook_detail", slug=group.slug, pk=endpoint.pk)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    secret = actions.rotate_secret(actor=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret, created=False)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    if request.method == "POST":
        actions.delete_endpoint(actor=request.user, endpoint=endpoint)
        messages.success(request, _("The webhook was deleted."))
        return redirect("webhook_list", slug=group.slug)
    return render(request, "webhooks/delete.html", {"group": group, "endpoint": endpoint})


@login_required
@require_POST
def endpoint_test(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    actions.send_test(actor=request.user, endpoint=endpoint)
    messages.success(request, _("A test message is on its way; its result shows below."))
    return redirect("webhook_detail", slug=group.slug, pk=endpoint.pk)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, slug: str, pk: int, delivery: int) -> HttpResponse:
    group, endpoint = _endpoint(request, slug, pk)
    if (gate := redirect_to_mfa_setup(request)) is not None:
        return gate
    found = visibility.get_delivery_or_404(endpoint, parse_id(delivery))
    try:
        actions.resend(actor=request.user, delivery=found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message will be sent again."))
    return redirect("webhook_detail", slug=group.slug, pk=endpoint.pk)
