from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from accounts.mfa import has_mfa
from forum.models import Digest, Membership, Post, Thread, WorkingGroup


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "group", "role", "joined_at"]
    list_filter = ["group", "role", "member__country"]
    search_fields = ["member__email", "member__display_name", "group__name"]
    autocomplete_fields = ["member", "group"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    """Read-only: threads change through the forum's own pages and actions."""

    list_display = [
        "title",
        "group",
        "author",
        "audience",
        "reply_count",
        "pinned",
        "locked",
        "last_activity_at",
    ]
    list_filter = ["group", "audience", "pinned", "locked"]
    search_fields = ["title", "author__email", "author__display_name"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """Read-only record of digests: find failed ones and those left 'sending' by a crash."""

    list_display = ["member", "period", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["member__email", "period"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Read-only: the audit trail keeps removed text; edits go through actions."""

    list_display = ["__str__", "author", "status", "created_at", "edited_at"]
    list_filter = ["status", "thread__group"]
    search_fields = ["body_source", "author__email", "thread__title"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


# Staff sign in through allauth (so its two-factor stage applies), never with the
# admin's own password-only form, and use the admin only with TOTP set up.
admin.site.login = secure_admin_login(admin.site.login)
_admin_has_permission = admin.site.has_permission


def _has_permission_with_mfa(request) -> bool:
    return _admin_has_permission(request) and has_mfa(request.user)


admin.site.has_permission = _has_permission_with_mfa
