"""Invitations and profiles."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.views import SignupView
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions, invitations, unsubscribe
from accounts.forms import InvitationForm, NotificationSettingsForm, ProfileForm
from accounts.mfa import redirect_to_mfa_setup
from accounts.models import Avatar, Invitation
from accounts.zones import zone_for_country
from forum import visibility


@require_http_methods(["GET"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Check the link, remember the invitation, and continue to sign-up."""
    try:
        invitation = invitations.check_token(token)
    except invitations.InvitationInvalid as problem:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": problem.message}, status=410
        )
    if request.user.is_authenticated:
        # Someone else's session must not swallow the invitation.
        logout(request)
    invitations.remember(request, invitation)
    # The link arrived by email, so following it proves the address.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


@login_required
@require_http_methods(["GET", "POST"])
def invitations_page(request: HttpRequest) -> HttpResponse:
    """Chairs and staff invite people and see the invitations they sent."""
    groups = visibility.invitable_groups(request.user)
    if not groups.exists():
        raise Http404("No such page.")
    if (response := redirect_to_mfa_setup(request)) is not None:
        return response
    form = InvitationForm(
        request.POST or None,
        groups=groups,
        initial={"language": translation.get_language(), "country": request.user.country},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.invite(
                inviter=request.user,
                email=data["email"],
                organization_name=data["organization"],
                country=data["country"],
                groups=data["groups"],
                role=data["role"],
                language=data["language"],
                base_url=request.build_absolute_uri("/"),
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages if hasattr(error, "messages") else str(error))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": data["email"]})
            return redirect("invitations")
    sent = Invitation.objects.prefetch_related("groups").select_related("organization")
    if not request.user.is_staff:
        sent = sent.filter(invited_by=request.user)
    return render(request, "accounts/invitations.html", {"form": form, "invitations": sent[:100]})


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        actions.revoke_invitation(actor=request.user, invitation=invitation)
    except PermissionDenied:
        raise Http404("No such invitation.") from None
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("invitations")


@login_required
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    member = visibility.get_member_or_404(request.user, handle)
    shared = visibility.visible_groups(request.user).filter(memberships__member=member)
    return render(
        request,
        "accounts/profile.html",
        {"member": member, "groups": shared.order_by("name"), "is_me": member == request.user},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    member = request.user
    form = ProfileForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        actions.update_profile(
            member=member, **{name: form.cleaned_data[name] for name in form.Meta.fields}
        )
        translation.activate(member.language)
        messages.success(request, _("Your profile was saved."))
        return redirect("profile", handle=member.handle)
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Digest frequency, day, hour and groups; immediate emails; email language."""
    member = request.user
    form = NotificationSettingsForm(
        request.POST or None, instance=member, groups=list(visibility.visible_groups(member))
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        actions.update_notification_settings(
            member=member, digest_skip_groups=form.skipped_groups(), **fields
        )
        translation.activate(member.language)
        messages.success(request, _("Your email settings were saved."))
        return redirect("notification_settings")
    return render(request, "accounts/notification_settings.html", {"form": form})


# The signed token is the credential: mail clients post here (RFC 8058) without
# cookies, so there is no CSRF token to check, and a GET changes nothing.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET: ask to confirm. POST (a form or a mail client's one click): unsubscribe."""
    try:
        member, what = unsubscribe.check_token(token)
    except unsubscribe.BadToken:
        return render(request, "accounts/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        actions.unsubscribe(member=member, what=what)
        return render(request, "accounts/unsubscribe_done.html", {"what": what})
    return render(request, "accounts/unsubscribe.html", {"what": what, "email": member.email})


class InvitedSignupView(SignupView):
    """allauth's sign-up, for the invited address only: the address is shown, not
    editable, and the time zone starts as the invitation's country's."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        invitation = invitations.from_session(self.request)
        if invitation is not None:
            if not form.is_bound:
                form.fields["time_zone"].initial = zone_for_country(invitation.country.code)
            email = form.fields.get("email")
            if email is not None:
                email.initial = invitation.email
                email.widget.attrs["readonly"] = True
                email.help_text = _("The address the invitation was sent to.")
        return form


signup = InvitedSignupView.as_view()


class AvatarForm(forms.Form):
    picture = forms.ImageField(
        label=_("Picture"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB. The centre square is kept."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def avatar_edit(request: HttpRequest) -> HttpResponse:
    """Upload a picture, or go back to initials."""
    form = AvatarForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            actions.remove_avatar(member=request.user)
            messages.success(request, _("Your picture was removed; your initials show instead."))
            return redirect("avatar_edit")
        if form.is_valid() and form.cleaned_data["picture"]:
            try:
                actions.set_avatar(member=request.user, upload=form.cleaned_data["picture"])
            except ValidationError as error:
                form.add_error("picture", error)
            else:
                messages.success(request, _("Your picture was saved."))
                return redirect("avatar_edit")
        elif form.is_valid():
            form.add_error("picture", _("Choose a picture first."))
    return render(
        request,
        "accounts/avatar.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def avatar_image(request: HttpRequest, handle: str, version: int) -> HttpResponse:
    """A member's picture, for those who may see the member; the URL names the version,
    so it is kept for a year."""
    member = visibility.get_member_or_404(request.user, handle)
    if not member.avatar_version or version != member.avatar_version:
        raise Http404("No such picture.")
    avatar = Avatar.objects.filter(member=member).only("image").first()
    if avatar is None:
        raise Http404("No such picture.")
    response = HttpResponse(bytes(avatar.image), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
