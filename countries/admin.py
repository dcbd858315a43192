from django.contrib import admin

from countries.models import Country


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "partner")
    list_filter = ("partner",)
    list_editable = ("partner",)
    search_fields = ("code",)
    ordering = ("-partner", "code")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
