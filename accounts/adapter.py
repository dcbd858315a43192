"""The only place allauth is customized: invitation-only sign-up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib import messages
from django.db import transaction
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import actions, invitations


class AccountAdapter(DefaultAccountAdapter):
    def add_message(self, request: HttpRequest, *args, **kwargs) -> None:
        """allauth's notices ("Successfully signed in as …") in the member's own language:
        at sign-in the page's language is still the browser's."""
        user = getattr(request, "user", None)
        language = (
            getattr(user, "language", None) if getattr(user, "is_authenticated", False) else None
        )
        if language in dict(self._languages()):
            with translation.override(language):
                return super().add_message(request, *args, **kwargs)
        return super().add_message(request, *args, **kwargs)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Sign-up is open only to a browser holding a valid invitation."""
        return invitations.from_session(request) is not None

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = getattr(self, "request", None)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "account_signup":
            invitation = invitations.from_session(request)
            if invitation is not None and invitation.email.lower() != email.strip().lower():
                raise ValidationError(
                    _("Sign up with the address the invitation was sent to: %(email)s")
                    % {"email": invitation.email}
                )
        return email

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        invitation = invitations.from_session(request)
        if invitation is None:
            # The invitation was used or withdrawn while this form was open.
            raise ImmediateHttpResponse(self._closed(request))
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data["display_name"].strip()
        user.handle = actions.unique_handle(user.display_name or user.email.split("@")[0])
        user.country = invitation.country
        language = getattr(request, "LANGUAGE_CODE", "en")
        user.language = language if language in dict(self._languages()) else "en"
        try:
            with transaction.atomic():
                user.save()
                actions.accept_invitation(invitation=invitation, member=user)
        except invitations.InvitationInvalid:
            raise ImmediateHttpResponse(self._closed(request)) from None
        invitations.forget(request)
        messages.success(
            request,
            _("Welcome, %(name)s. You are now a member of %(groups)s.")
            % {
                "name": user.display_name,
                "groups": ", ".join(_(g.name) for g in invitation.groups.all()),
            },
        )
        return user

    @staticmethod
    def _closed(request: HttpRequest) -> HttpResponse:
        return render(request, "account/signup_closed.html", status=403)

    @staticmethod
    def _languages() -> list[tuple[str, str]]:
        from django.conf import settings

        return list(settings.LANGUAGES)
