from django.contrib import admin

from reports.models import FrozenReport


@admin.register(FrozenReport)
class FrozenReportAdmin(admin.ModelAdmin):
    """Read-only: a frozen report is the record of what was sent."""

    list_display = ["program", "year", "created_at", "created_by", "include_submitted", "note"]
    list_filter = ["program", "year"]
    readonly_fields = [f.name for f in FrozenReport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
