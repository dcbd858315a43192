from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from accounts.mfa import has_mfa
from forum.models import (
    AuditEntry,
    ChatMessage,
    Digest,
    Meeting,
    Membership,
    Post,
    Review,
    Thread,
    WorkingGroup,
)


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


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, in the app and in the database."""

    list_display = ["created_at", "group", "actor", "actor_country", "action", "post", "member"]
    list_filter = ["group", "action", "actor_country"]
    search_fields = ["actor__email", "member__email", "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only: decisions go through the review queue, which writes the audit log."""

    list_display = ["post", "group", "kind", "state", "submitted_at", "decided_by"]
    list_filter = ["group", "kind", "state"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-only: meetings change through their pages and actions."""

    list_display = ["title", "group", "organizer", "state", "starts_at", "audience"]
    list_filter = ["group", "state", "format", "audience"]
    search_fields = ["title", "organizer__email"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    """Read-only: removed messages keep their text, remover and reason for the record."""

    list_display = ["__str__", "author", "created_at", "removed_at", "removed_by"]
    list_filter = ["meeting__group"]
    search_fields = ["body", "author__email", "meeting__title"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
