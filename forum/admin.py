from django.contrib import admin

from forum.models import Membership, WorkingGroup


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
