"""Admin import and export of targets and actual values (django-import-export).

Rows name a KPI by its code within the current program and a year. Every row is saved
with save(), never in bulk, so the history records who imported what; the admin runs
the whole file in one transaction and rolls everything back on any error."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from directions.selectors import current_program
from kpis.models import Actual, ActualState, Kpi, Target
from kpis.validation import check_value, read_number
from kpis.workbooks import escape_formula

IMPORT_REASON = "Imported in the administration"


class KpiCodeWidget(widgets.ForeignKeyWidget):
    """A KPI by its code, looked up in the current program only."""

    def __init__(self) -> None:
        super().__init__(Kpi, field="code")

    def get_queryset(self, value, row, *args, **kwargs):
        return Kpi.objects.filter(program=current_program())

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Kpi.DoesNotExist:
            raise ValueError(_("Unknown KPI code “%(code)s”.") % {"code": value}) from None


class EscapedTextWidget(widgets.CharWidget):
    """Text that a spreadsheet will never run as a formula (see escape_formula)."""

    def render(self, value, obj=None, **kwargs):
        return escape_formula(super().render(value, obj, **kwargs))


def _text_field(attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute, widget=EscapedTextWidget())


class NumberWidget(widgets.DecimalWidget):
    """A number with a decimal comma or point, as the entry form reads it."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            return read_number(str(value))
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None


def _number_field(attribute: str) -> fields.Field:
    return fields.Field(
        attribute=attribute, column_name=attribute, widget=NumberWidget(coerce_to_string=False)
    )


class _ValueResource(resources.ModelResource):
    kpi = fields.Field(attribute="kpi", column_name="kpi", widget=KpiCodeWidget())
    value = _number_field("value")
    value2 = _number_field("value2")

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user") or self.user

    def before_save_instance(self, instance, row, **kwargs):
        try:
            check_value(instance.kpi.unit, instance.value, instance.value2)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None
        instance._change_reason = IMPORT_REASON
        instance._history_user = self.user

    def get_export_queryset(self, request=None, **kwargs):
        return self._meta.model.objects.filter(kpi__program=current_program()).select_related("kpi")


class TargetResource(_ValueResource):
    raw_text = _text_field("raw_text")

    class Meta:
        model = Target
        import_id_fields = ("kpi", "year")
        fields = ("kpi", "year", "value", "value2", "raw_text")
        export_order = ("kpi", "year", "value", "value2", "raw_text")
        use_bulk = False
        skip_unchanged = True
        report_skipped = True

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        program = instance.kpi.program
        if not program.covers(instance.year):
            raise ValueError(
                _("The year must lie within the program, %(start)s–%(end)s.")
                % {"start": program.start_year, "end": program.end_year}
            )


class ActualResource(_ValueResource):
    comment = _text_field("comment")

    class Meta:
        model = Actual
        import_id_fields = ("kpi", "year")
        fields = ("kpi", "year", "value", "value2", "comment", "state")
        export_order = ("kpi", "year", "value", "value2", "state", "comment")
        use_bulk = False
        skip_unchanged = True
        report_skipped = True

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if not Kpi.objects.editable_by(self.user).filter(pk=instance.kpi_id).exists():
            raise ValueError(
                _("You may not enter values for KPI %(code)s.") % {"code": instance.kpi.code}
            )
        stored = Actual.objects.filter(pk=instance.pk).values_list("state", flat=True).first()
        if stored == ActualState.APPROVED:
            raise ValueError(
                _("KPI %(code)s %(year)s is approved and locked; reopen it first.")
                % {"code": instance.kpi.code, "year": instance.year}
            )
        if instance.state not in ActualState.values:
            instance.state = ActualState.DRAFT
        instance.entered_by = self.user
        instance.version = (instance.version or 0) + 1
