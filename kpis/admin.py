"""The administration. What the workflow owns — values, their evidence, targets, open
years — is shown here but written only through kpis.services, like every other page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import forms as import_forms
from import_export.admin import ImportExportMixin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from directions.models import Direction
from kpis import passport, services, units
from kpis.forms import AssignUnitForm, NumberField
from kpis.measures import Unit, measure_for
from kpis.models import Actual, ActualState, Evidence, Kpi, OrgUnit, ReportingYear, Target
from kpis.people import full_name
from kpis.reasons import Reason, recorded
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


class HistoryWithoutRevert(SimpleHistoryAdmin):
    """History that is shown, never written back: reverting to an old version would change
    a value or a target around the workflow (a target change is reverted on the KPI page)."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class TargetInline(admin.TabularInline):
    """The seven yearly targets, read-only: each is changed on its own form (a reason is
    required) or on the KPI page."""

    model = Target
    extra = 0
    fields = ["year", "target", "raw_text"]
    readonly_fields = fields
    ordering = ["year"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("target"))
    def target(self, obj: Target) -> str:
        return obj.kpi.measure.display_target(obj.value, obj.value2)


class KpiForm(forms.ModelForm):
    """A KPI, its passport and its baseline. The baseline's value is typed as on the
    passport page and read by the KPI's measure; a change of the passport or the
    baseline needs a reason, and is written by passport.update_passport."""

    baseline_value = NumberField(
        label=capfirst(Kpi._meta.get_field("baseline_value").verbose_name),
        help_text=_("As the KPI is written: 3 160, 62,5, a ratio 99,5/0,5, a place 15 or 751-800."),
    )
    baseline_value2 = NumberField(
        label=capfirst(Kpi._meta.get_field("baseline_value2").verbose_name),
        help_text=Kpi._meta.get_field("baseline_value2").help_text,
    )
    passport_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when the passport or the baseline changes: the KPI's history shows it."
        ),
    )

    class Meta:
        model = Kpi
        fields = ["baseline_value", "baseline_value2"]  # KpiAdmin's fieldsets name the rest

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = passport.stored(self.instance)
        if self.instance.pk:
            self.initial["baseline_value"], self.initial["baseline_value2"] = (
                self.instance.measure.inputs(
                    self.instance.baseline_value, self.instance.baseline_value2
                )
            )
        self.passport_changes: dict[str, object] = {}

    def clean(self) -> dict:
        data = super().clean()
        unit = data.get("unit") or self.instance.unit
        typed = data.get("baseline_value"), data.get("baseline_value2")
        data["baseline_value"] = data["baseline_value2"] = None  # once the measure read them
        if unit in Unit.values and not (
            self.has_error("baseline_value") or self.has_error("baseline_value2")
        ):
            try:
                data["baseline_value"], data["baseline_value2"] = measure_for(unit).parse_columns(
                    *typed
                )
            except ValidationError as exc:
                self.add_error(None if hasattr(exc, "error_dict") else "baseline_value", exc)
        if self.instance.pk:
            self.passport_changes = passport.differences(self.stored, data)
            if self.passport_changes and not data.get("passport_reason", "").strip():
                self.add_error(
                    "passport_reason", _("Give a reason: the KPI's history will show it.")
                )
        return data


@admin.register(Kpi)
class KpiAdmin(TranslationAdmin, SimpleHistoryAdmin):
    form = KpiForm
    list_display = ["code", "short_name", "unit", "sense", "owner"]
    list_display_links = ["code", "short_name"]
    list_filter = [DirectionFilter, "task", "owner", "unit", "sense"]
    list_select_related = ["owner"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["owner"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "task",
                    "position",
                    "code",
                    "name",
                    "unit",
                    "sense",
                    "owner",
                    "notes",
                    "methodology",
                ]
            },
        ),
        (
            _("Passport"),
            {
                "fields": [
                    "definition",
                    "formula",
                    "data_source",
                    "verification",
                    "collection_method",
                    "frequency",
                    "ranking_name",
                    "ranking_edition",
                    "ranking_category",
                ]
            },
        ),
        (
            _("Baseline"),
            {
                "fields": [
                    "baseline_year",
                    "baseline_value",
                    "baseline_value2",
                    "baseline_comment",
                    "baseline_source",
                    "passport_reason",
                ]
            },
        ),
    ]
    inlines = [TargetInline]

    def save_model(self, request: HttpRequest, obj: Kpi, form: KpiForm, change: bool) -> None:
        # The passport goes through its service, with the reason; the KPI's other
        # fields, when they changed too, are saved after it as before.
        if change and form.passport_changes:
            passport.update_passport(
                user=request.user,
                kpi=obj,
                changes=form.passport_changes,
                reason=form.cleaned_data["passport_reason"],
            )
        others = set(form.changed_data) - {*passport.PASSPORT_FIELDS, "passport_reason"}
        if not change or others:
            super().save_model(request, obj, form, change)

    list_per_page = 100
    actions = ["assign_to_unit"]

    @admin.action(description=_("Assign selected KPIs to a unit"))
    def assign_to_unit(self, request: HttpRequest, queryset: QuerySet[Kpi]) -> HttpResponse | None:
        form = AssignUnitForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            for kpi in queryset:
                kpi.owner = unit
                kpi._change_reason = recorded(Reason.ASSIGNED)
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


SEEN_VERSIONS_SALT = "kpis.admin.import.seen-versions"


class ConfirmImportForm(import_forms.ConfirmImportForm):
    """The confirmation carries the versions the preview showed (signed): a value someone
    saved after the preview refuses the import instead of being overwritten by it."""

    seen_versions = forms.CharField(widget=forms.HiddenInput())

    def clean_seen_versions(self) -> dict[str, int]:
        try:
            return signing.loads(self.cleaned_data["seen_versions"], salt=SEEN_VERSIONS_SALT)
        except signing.BadSignature:
            raise ValidationError(_("This preview has expired. Upload the file again.")) from None


class WorkflowImportMixin(ImportExportMixin):
    """Imports through the workflow (see kpis.resources): the signed-in user goes to the
    resource for permissions and the history, the preview's versions to the confirmation,
    and a confirmation that fails shows its problems instead of "Import finished"."""

    confirm_form_class = ConfirmImportForm

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        request, form = kwargs.get("request"), kwargs.get("form")
        data = super().get_import_data_kwargs(**kwargs)
        if isinstance(form, ConfirmImportForm):
            data["seen_versions"] = form.cleaned_data["seen_versions"]
        elif request is not None:
            data["seen_versions_out"] = request.import_seen_versions = {}
        return data

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        seen = getattr(request, "import_seen_versions", {})
        return initial | {"seen_versions": signing.dumps(seen, salt=SEEN_VERSIONS_SALT)}

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            _("The file could not be read. Choose the format it is in (CSV or XLSX)."),
        )

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        messages.error(request, _("Nothing was imported: correct the rows below and upload again."))
        form_class = self.get_import_form_class(request)
        form = form_class(self.get_import_formats(), self.get_import_resource_classes(request))
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "result": result,
            "fields_list": [],
            "import_error_display": self.import_error_display,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)


class TargetForm(forms.ModelForm):
    """A target and why it is set: services.change_target or services.set_target write it."""

    value = NumberField(label=capfirst(Target._meta.get_field("value").verbose_name))
    value2 = NumberField(
        label=capfirst(Target._meta.get_field("value2").verbose_name),
        help_text=Target._meta.get_field("value2").help_text,
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: the KPI's history shows it beside the change."),
    )

    class Meta:
        model = Target
        fields = ["kpi", "year", "value", "value2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            measure = self.instance.kpi.measure
            self.initial["value"], self.initial["value2"] = measure.inputs(
                self.instance.value, self.instance.value2
            )

    def clean(self) -> dict:
        data = super().clean()
        kpi = data.get("kpi") or (self.instance.kpi if self.instance.kpi_id else None)
        typed = data.get("value"), data.get("value2")
        data["value"] = data["value2"] = None  # numbers only once the KPI's measure read them
        if kpi is None or self.has_error("value") or self.has_error("value2"):
            return data
        try:
            data["value"], data["value2"] = kpi.measure.parse_columns(*typed)
            kpi.measure.check(data["value"], data["value2"])
        except ValidationError as exc:
            self.add_error(None if hasattr(exc, "error_dict") else "value", exc)
        return data


@admin.register(Target)
class TargetAdmin(WorkflowImportMixin, HistoryWithoutRevert):
    resource_classes = [TargetResource]
    form = TargetForm
    list_display = ["kpi", "year", "shown_target", "raw_text"]
    list_filter = ["year", "kpi__task__goal__direction"]
    list_select_related = ["kpi"]
    search_fields = ["kpi__code", "kpi__name"]
    autocomplete_fields = ["kpi"]

    @admin.display(description=_("target"))
    def shown_target(self, obj: Target) -> str:
        return obj.kpi.measure.display_target(obj.value, obj.value2)

    def get_fields(self, request, obj=None):
        fields = ["kpi", "year", "raw_text", "value", "value2", "reason"]
        return fields if obj else [f for f in fields if f != "raw_text"]

    def get_readonly_fields(self, request, obj=None):
        return ["kpi", "year", "raw_text"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # "No target this year" is an empty value, set with a reason like any change.
        return False

    def save_model(self, request, obj: Target, form: TargetForm, change: bool) -> None:
        data = form.cleaned_data
        values = {"value": data["value"], "value2": data["value2"], "reason": data["reason"]}
        if change:
            saved = services.change_target(user=request.user, target=obj, **values)
        else:
            saved = services.set_target(
                user=request.user, kpi=data["kpi"], year=data["year"], **values
            )
        obj.pk, obj.raw_text = saved.pk, saved.raw_text


class ReadOnlyAdminMixin:
    """Shown in the admin, changed only by the workflow's own pages."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Actual)
class ActualAdmin(ReadOnlyAdminMixin, WorkflowImportMixin, HistoryWithoutRevert):
    """Values are read here and imported through the workflow; they are entered on the
    entry page and approved, returned or reopened on the review page."""

    resource_classes = [ActualResource]
    list_display = ["kpi", "year", "shown_value", "state", "is_demo", "updated_at"]
    list_filter = ["state", "year", "is_demo", "kpi__owner"]
    list_select_related = ["kpi"]
    search_fields = ["kpi__code", "kpi__name"]

    @admin.display(description=_("actual value"))
    def shown_value(self, obj: Actual) -> str:
        return obj.kpi.measure.display(obj.value, obj.value2)

    fields = [
        "where_to_change",
        "kpi",
        "year",
        "value",
        "value2",
        "state",
        "comment",
        "explanation",
        "return_reason",
        "entered_by",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "updated_at",
        "version",
        "is_demo",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Actual]:
        editable = Kpi.objects.editable_by(request.user)
        return super().get_queryset(request).filter(kpi__in=editable)

    @admin.display(description=_("Where to change it"))
    def where_to_change(self, obj: Actual) -> str:
        return format_html_join(" · ", '<a href="{}">{}</a>', _workflow_links(obj))


def _workflow_links(actual: Actual) -> list[tuple[str, str]]:
    year = {"year": actual.year}
    links = [(reverse("kpi_detail", args=[actual.kpi.code]), _("KPI page"))]
    if actual.state in services.EDITABLE_STATES:
        unit = {"unit": actual.kpi.owner.code} if actual.kpi.owner else {}
        links.append(
            (f"{reverse('entry')}?{urlencode(year | unit)}", _("Edit it on the entry page"))
        )
    elif actual.state == ActualState.SUBMITTED:
        query = urlencode(year | {"state": actual.state})
        links.append((f"{reverse('review')}?{query}", _("Approve or return it on the review page")))
    else:
        query = urlencode(year | {"state": actual.state})
        links.append((f"{reverse('review')}?{query}", _("Reopen it on the review page")))
    return links


class OrgUnitForm(forms.ModelForm):
    """A unit checked by the tree's rules (kpis.units), as on the People pages."""

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "parent"]

    def clean(self) -> dict:
        data = super().clean()
        typed = units.UnitData(
            code=data.get("code") or "",
            name_kk=data.get("name_kk") or "",
            name_ru=data.get("name_ru") or "",
            name_en=data.get("name_en") or "",
            kind=data.get("kind") or "",
            parent=data.get("parent"),
        )
        existing = self.instance if self.instance.pk else None
        for name, problems in units.unit_problems(typed, existing).items():
            field = name if name in self.fields else None
            if field is None or field not in self.errors:
                self.add_error(field, problems)
        self.unit_data = typed
        return data


@admin.register(OrgUnit)
class OrgUnitAdmin(TranslationAdmin):
    """Units' names, codes, kinds and places in the tree, saved and deleted through
    kpis.units (the People pages' rules). Their heads are chosen on the People pages,
    among department heads, by full name, and recorded there (kpis/people.py)."""

    form = OrgUnitForm
    list_display = ["name", "code", "kind", "parent", "kpi_count", "head_names"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "kind", "parent", "head_names"]
    readonly_fields = ["head_names"]
    actions = None  # a bulk delete would skip the checks of kpis.units

    def save_model(self, request, obj, form, change) -> None:
        existing = OrgUnit.objects.get(pk=obj.pk) if change else None
        saved = units.save_unit(actor=request.user, data=form.unit_data, unit=existing)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change) -> None:
        pass  # heads are chosen on the People pages

    def delete_model(self, request, obj) -> None:
        try:
            units.delete_unit(actor=request.user, unit=obj)
        except ValidationError as exc:
            # The admin has already said "deleted"; say what stopped it instead.
            messages.error(request, " ".join(exc.messages))
            raise PermissionDenied(" ".join(exc.messages)) from None

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            protected = list(protected) + units.delete_problems(obj)
        return deleted, model_count, perms_needed, protected

    @admin.display(description=_("KPIs"))
    def kpi_count(self, obj: OrgUnit) -> int:
        return obj.kpis.count()

    @admin.display(description=_("heads"))
    def head_names(self, obj: OrgUnit) -> str:
        names = ", ".join(full_name(head) for head in obj.heads.all()) or "—"
        if obj.pk is None:
            return names
        link = reverse("unit_heads", args=[obj.pk])
        return format_html('{} · <a href="{}">{}</a>', names, link, _("Choose heads"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("kpis", "heads")


class ReportingYearForm(forms.ModelForm):
    class Meta:
        model = ReportingYear
        fields = ["program", "year", "is_open"]

    def clean(self) -> dict:
        data = super().clean()
        program = data.get("program") or (
            self.instance.program if self.instance.program_id else None
        )
        year = data.get("year", self.instance.year)
        if program is not None and year is not None and not program.covers(year):
            self.add_error(
                "year",
                _("The year must lie within the program, %(start)s–%(end)s.")
                % {"start": program.start_year, "end": program.end_year},
            )
        return data


@admin.register(ReportingYear)
class ReportingYearAdmin(HistoryWithoutRevert):
    """Opening and closing a year goes through services.set_year_open, as on the progress
    page; a year is closed rather than deleted."""

    form = ReportingYearForm
    list_display = ["program", "year", "is_open"]
    list_filter = ["program", "is_open"]
    readonly_fields = ["changed_by", "changed_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "program", "year"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: ReportingYear, form, change: bool) -> None:
        row = services.set_year_open(
            user=request.user, program=obj.program, year=obj.year, is_open=obj.is_open
        )
        obj.pk = row.pk


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, HistoryWithoutRevert):
    """Evidence is attached and removed on the entry page, with its value."""

    list_display = ["original_name", "actual", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["actual__kpi", "uploaded_by"]
    search_fields = ["original_name", "actual__kpi__code"]
    fields = [
        "actual",
        "download",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', reverse("evidence", args=[obj.pk]), obj)
