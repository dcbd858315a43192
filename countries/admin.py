from django.contrib import admin

from countries.models import Assessment, Country, Dimension, FrozenReport, LevelDefinition


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "partner")
    list_filter = ("partner",)
    list_editable = ("partner",)
    search_fields = ("code",)
    ordering = ("-partner", "code")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LevelDefinitionInline(admin.TabularInline):
    model = LevelDefinition
    extra = 0
    max_num = 5


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    """Dimensions are data: staff add one here, with its five level definitions."""

    list_display = ("code", "name", "position")
    inlines = [LevelDefinitionInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # published assessments refer to it


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only through the actions (review, publishing): the admin reads."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("country", "assessed_on", "author", "status", "published_at")
    list_filter = ("status", "country")
    list_select_related = ("author", "country")


@admin.register(FrozenReport)
class FrozenReportAdmin(ReadOnlyAdmin):
    list_display = ("country", "year", "edition", "published_by", "published_at", "pdf_sha256")
    list_select_related = ("published_by", "country")
    exclude = ("pdf",)
