from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Member, Organization
from forum.models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["group"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "created_at"]
    list_filter = ["country"]
    search_fields = ["name"]


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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.invited_by = request.user
        super().save_model(request, obj, form, change)
