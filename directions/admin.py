from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from directions.models import (
    Alignment,
    Direction,
    Goal,
    Program,
    StateDocument,
    TargetIndicator,
    Task,
)


class DirectionInline(TranslationTabularInline):
    model = Direction
    extra = 0
    fields = ["number", "name"]


@admin.register(Program)
class ProgramAdmin(TranslationAdmin):
    list_display = ["code", "title", "start_year", "end_year"]
    search_fields = ["code", "title"]
    inlines = [DirectionInline]


class GoalInline(TranslationStackedInline):
    model = Goal
    extra = 0
    fields = ["number", "name", "name_in_table"]


class AlignmentInline(TranslationStackedInline):
    model = Alignment
    extra = 0


@admin.register(Direction)
class DirectionAdmin(TranslationAdmin):
    list_display = ["number", "name", "program"]
    list_display_links = ["number", "name"]
    list_filter = ["program"]
    search_fields = ["name"]
    inlines = [GoalInline, AlignmentInline]


class TaskInline(TranslationTabularInline):
    model = Task
    extra = 0
    fields = ["number", "position", "name"]


@admin.register(Goal)
class GoalAdmin(TranslationAdmin):
    list_display = ["name", "direction"]
    list_filter = ["direction__program", "direction"]
    search_fields = ["name"]
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(TranslationAdmin):
    list_display = ["number", "name", "goal", "kpi_count"]
    list_display_links = ["number", "name"]
    list_filter = ["goal__direction__program", "goal__direction"]
    search_fields = ["number", "name"]

    @admin.display(description=_("KPIs"))
    def kpi_count(self, obj: Task) -> int:
        return obj.kpis.count()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("goal").prefetch_related("kpis")


class IndicatorInline(TranslationTabularInline):
    model = TargetIndicator
    extra = 0
    fields = ["number", "name", "directions"]


@admin.register(StateDocument)
class StateDocumentAdmin(TranslationAdmin):
    list_display = ["position", "name", "program"]
    list_display_links = ["name"]
    list_filter = ["program"]
    inlines = [IndicatorInline]


@admin.register(Alignment)
class AlignmentAdmin(TranslationAdmin):
    list_display = ["direction", "document"]
    list_filter = ["direction", "document"]
    search_fields = ["text"]


@admin.register(TargetIndicator)
class TargetIndicatorAdmin(TranslationAdmin):
    list_display = ["number", "name", "document"]
    list_filter = ["document", "directions"]
    search_fields = ["name"]
    filter_horizontal = ["directions"]
