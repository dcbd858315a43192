"""The admin writes through the same actions as the forum's pages: a policy change is
audited, a group keeps its last chair, and what moderators remove is never deleted here."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa
from forum.actions import memberships, moderation
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

POLICY_FIELDS = (
    "moderation_policy",
    "approvals_required",
    "member_review_until",
    "trusted_review_until",
)


class RemovedByModeration:
    """Removal is a moderation action (an event and an audit entry), never a deletion."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def chairless_refusals(removed) -> list[str]:
    """Why removing `removed` (memberships) is refused: the groups it would leave chairless."""
    return [
        _("%(group)s would be left without a chair: a working group needs at least one chair.")
        % {"group": group.name}
        for group in memberships.chairless_groups(removed)
    ]


class WorkingGroupForm(forms.ModelForm):
    class Meta:
        model = WorkingGroup
        fields = ["name", "slug", "description", *POLICY_FIELDS, "created_at"]

    def clean(self):
        data = super().clean()
        if all(name in data for name in POLICY_FIELDS):
            moderation.check_policy(
                policy=data["moderation_policy"],
                approvals_required=data["approvals_required"],
                member_review_until=data["member_review_until"],
                trusted_review_until=data["trusted_review_until"],
            )
        return data


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    form = WorkingGroupForm
    list_display = ["name", "slug", "moderation_policy", "approvals_required", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change) -> None:
        """A policy change goes through the moderation action, which writes the audit log."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        others = [name for name in form.changed_data if name not in POLICY_FIELDS]
        if others:
            obj.save(update_fields=others)
        if any(name in form.changed_data for name in POLICY_FIELDS):
            moderation.set_policy(
                chair=request.user,
                group=WorkingGroup.objects.get(pk=obj.pk),  # the policy before the change
                policy=obj.moderation_policy,
                approvals_required=obj.approvals_required,
                member_review_until=obj.member_review_until,
                trusted_review_until=obj.trusted_review_until,
            )


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["member", "group", "role"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and "role" in data:
            current = Membership.objects.get(pk=self.instance.pk)
            try:
                memberships.check_keeps_a_chair(current, role=data["role"])
            except ValidationError as error:
                self.add_error("role", error)
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Adding, changing a role and removing go through forum.actions.memberships."""

    form = MembershipForm
    list_display = ["member", "group", "role", "joined_at"]
    list_filter = ["group", "role", "member__country"]
    search_fields = ["member__email", "member__display_name", "group__name"]
    autocomplete_fields = ["member", "group"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A membership changes role; moving someone is a removal and an addition.
        return ["member", "group", "joined_at"] if obj else ["joined_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            if "role" in form.changed_data:
                memberships.change_role(actor=request.user, membership=obj, role=obj.role)
            return
        created = memberships.add_member(
            actor=request.user, member=obj.member, group=obj.group, role=obj.role
        )
        obj.pk, obj.joined_at = created.pk, created.joined_at

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, [*protected, *chairless_refusals(objs)]

    def delete_model(self, request, obj) -> None:
        memberships.remove_member(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset.select_related("group"):
            memberships.remove_member(actor=request.user, membership=membership)


@admin.register(Thread)
class ThreadAdmin(RemovedByModeration, admin.ModelAdmin):
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
class PostAdmin(RemovedByModeration, admin.ModelAdmin):
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
class MeetingAdmin(RemovedByModeration, admin.ModelAdmin):
    """Read-only: meetings change through their pages and actions."""

    list_display = ["title", "group", "organizer", "state", "starts_at", "audience"]
    list_filter = ["group", "state", "format", "audience"]
    search_fields = ["title", "organizer__email"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(RemovedByModeration, admin.ModelAdmin):
    """Read-only: removed messages keep their text, remover and reason for the record."""

    list_display = ["__str__", "author", "created_at", "removed_at", "removed_by"]
    list_filter = ["meeting__group"]
    search_fields = ["body", "author__email", "meeting__title"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
