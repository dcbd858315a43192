"""Members, organizations and invitations in the admin, written through the actions."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import actions
from accounts.models import Invitation, Member, Organization
from forum.actions import memberships
from forum.admin import chairless_refusals
from forum.models import Membership


class MembershipInlineFormSet(BaseInlineFormSet):
    """Refuse, before anything is saved, a change that leaves a group without a chair."""

    def clean(self) -> None:
        super().clean()
        errors = []
        for form in self.forms:
            if not form.instance.pk or not hasattr(form, "cleaned_data"):
                continue
            current = Membership.objects.select_related("group").get(pk=form.instance.pk)
            removed = self.can_delete and self._should_delete_form(form)
            group = form.cleaned_data.get("group")
            if not removed and group is not None and group.pk != current.group_id:
                errors.append(
                    gettext(
                        "To move a member to another group, add the new membership and "
                        "remove the old one."
                    )
                )
                continue
            role = None if removed else form.cleaned_data.get("role", current.role)
            try:
                memberships.check_keeps_a_chair(current, role=role)
            except ValidationError as error:
                errors.append(f"{current.group.name}: {' '.join(error.messages)}")
        if errors:
            raise ValidationError(errors)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    autocomplete_fields = ["group"]
    fields = ["group", "role", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "icoca_status", "icoca_verified", "created_at"]
    list_filter = ["country", "icoca_status", "icoca_verified"]
    search_fields = ["name"]
    filter_horizontal = ["sectors", "operating_countries"]


@admin.register(Member)
class MemberAdmin(UserAdmin):
    ordering = ["display_name"]
    list_display = ["email", "display_name", "handle", "country", "organization", "is_staff"]
    list_filter = ["country", "is_staff", "is_active", "language", "memberships__group"]
    search_fields = ["email", "display_name", "handle", "organization__name"]
    autocomplete_fields = ["organization"]
    inlines = [MembershipInline]

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "handle",
                    "organization",
                    "country",
                    "language",
                    "time_zone",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "display_name",
                    "handle",
                    "country",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def save_formset(self, request, form, formset, change) -> None:
        """Memberships change through forum.actions.memberships, one by one."""
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        actor = request.user
        for membership in formset.deleted_objects:
            memberships.remove_member(actor=actor, membership=membership)
        for membership, changed in formset.changed_objects:
            if "role" in changed:
                memberships.change_role(actor=actor, membership=membership, role=membership.role)
        for membership in formset.new_objects:
            memberships.add_member(
                actor=actor, member=form.instance, group=membership.group, role=membership.role
            )

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        removed = Membership.objects.filter(member__in=objs).select_related("group")
        return deleted, counts, perms_needed, [*protected, *chairless_refusals(removed)]


class InvitationAdminForm(forms.ModelForm):
    """A new invitation: what accounts.actions.invite() needs, and the mail's language."""

    language = forms.ChoiceField(
        label=_("Language of the invitation email"), choices=lambda: settings.LANGUAGES
    )

    class Meta:
        model = Invitation
        fields = ["email", "organization", "country", "groups", "role"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        actions.check_not_a_member(email)
        return email


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made (and mailed) by accounts.actions.invite(), then only withdrawn."""

    list_display = [
        "email",
        "organization",
        "country",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "country", "groups", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "organization__name", "invited_by__email"]
    readonly_fields = ["accepted_at", "accepted_by", "created_at", "invited_by"]
    autocomplete_fields = ["organization"]

    actions = ["withdraw"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationAdminForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None) -> list[str]:
        if obj is None:
            return [*InvitationAdminForm.Meta.fields, "language"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return list(self.readonly_fields) if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        # The link was mailed with these details: withdraw and invite again instead.
        return False

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        invitation = actions.invite(
            inviter=request.user,
            email=data["email"],
            organization_name=data["organization"].name,
            country=data["country"],
            groups=data["groups"],
            role=data["role"],
            language=data["language"],
            base_url=request.build_absolute_uri("/"),
        )
        for field in Invitation._meta.concrete_fields:
            setattr(obj, field.attname, getattr(invitation, field.attname))

    def save_related(self, request, form, formsets, change) -> None:
        """invite() has set the groups already."""

    def has_withdraw_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_invitation")

    @admin.action(description=_("Withdraw the selected invitations"), permissions=["withdraw"])
    def withdraw(self, request, queryset) -> None:
        withdrawn = 0
        for invitation in queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True):
            try:
                actions.revoke_invitation(actor=request.user, invitation=invitation)
            except PermissionDenied as error:
                self.message_user(request, f"{invitation.email}: {error}", messages.ERROR)
            else:
                withdrawn += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d invitation withdrawn.", "%(count)d invitations withdrawn.", withdrawn
            )
            % {"count": withdrawn},
            messages.SUCCESS,
        )
