from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from directions.models import Direction
from kpis.forms import AssignUnitForm
from kpis.models import Actual, Evidence, Kpi, OrgUnit, ReportingYear, Target
from kpis.resources import ActualResource, TargetResource


class DirectionFilter(admin.SimpleListFilter):
    title = _("direction")
    parameter_name = "direction"

    def lookups(self, request, model_admin):
        return [(d.pk, str(d)) for d in Direction.objects.order_by("program", "number")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(task__goal__direction=self.value())
        return queryset


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["year", "value", "value2", "raw_text"]
    ordering = ["year"]


@admin.register(Kpi)
class KpiAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ["code", "short_name", "unit", "sense", "owner"]
    list_display_links = ["code", "short_name"]
    list_filter = [DirectionFilter, "task", "owner", "unit", "sense"]
    list_select_related = ["owner"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["owner"]
    fields = ["task", "position", "code", "name", "unit", "sense", "owner", "notes", "methodology"]
    inlines = [TargetInline]
    list_per_page = 100
    actions = ["assign_to_unit"]

    @admin.action(description=_("Assign selected KPIs to a unit"))
    def assign_to_unit(self, request: HttpRequest, queryset: QuerySet[Kpi]) -> HttpResponse | None:
        form = AssignUnitForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            for kpi in queryset:
                kpi.owner = unit
                kpi._change_reason = "Assigned in bulk"
                kpi.save()
            self.message_user(
                request,
                _("%(n)s KPIs assigned to %(unit)s.")
                % {"n": queryset.count(), "unit": unit or _("nobody")},
                messages.SUCCESS,
            )
            return None
        ctx = {
            **self.admin_site.each_context(request),
            "title": _("Assign KPIs to a unit"),
            "kpis": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/kpis/assign_unit.html", ctx)

    @admin.display(description=_("name"), ordering="name")
    def short_name(self, obj: Kpi) -> str:
        return obj.name if len(obj.name) <= 120 else obj.name[:117] + "…"


class UserAwareImportMixin(ImportExportMixin):
    """Hands the signed-in user to the resource, for permissions and the history."""

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}


@admin.register(Target)
class TargetAdmin(UserAwareImportMixin, SimpleHistoryAdmin):
    resource_classes = [TargetResource]
    list_display = ["kpi", "year", "value", "value2", "raw_text"]
    list_filter = ["year", "kpi__task__goal__direction"]
    list_select_related = ["kpi"]
    search_fields = ["kpi__code", "kpi__name"]


@admin.register(Actual)
class ActualAdmin(UserAwareImportMixin, SimpleHistoryAdmin):
    resource_classes = [ActualResource]
    list_display = ["kpi", "year", "value", "value2", "state", "is_demo", "updated_at"]
    list_filter = ["state", "year", "is_demo", "kpi__owner"]
    list_select_related = ["kpi"]
    search_fields = ["kpi__code", "kpi__name"]
    readonly_fields = ["entered_by", "submitted_by", "submitted_at", "approved_by", "approved_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Actual]:
        editable = Kpi.objects.editable_by(request.user)
        return super().get_queryset(request).filter(kpi__in=editable)


@admin.register(OrgUnit)
class OrgUnitAdmin(TranslationAdmin):
    list_display = ["name", "code", "kpi_count"]
    search_fields = ["name", "code"]
    filter_horizontal = ["heads"]

    @admin.display(description=_("KPIs"))
    def kpi_count(self, obj: OrgUnit) -> int:
        return obj.kpis.count()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("kpis")


@admin.register(ReportingYear)
class ReportingYearAdmin(SimpleHistoryAdmin):
    list_display = ["program", "year", "is_open"]
    list_filter = ["program", "is_open"]


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    list_display = ["original_name", "actual", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["actual__kpi", "uploaded_by"]
    search_fields = ["original_name", "actual__kpi__code"]
    readonly_fields = [
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
