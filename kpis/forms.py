"""Forms that read what people type: numbers with a decimal comma, reasons, files."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kpis.models import Input, Kpi, OrgUnit
from kpis.services import TEXT_LIMIT, Entry


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class NumberField(forms.CharField):
    """A number as typed; what it means is read by the KPI's measure (MeasuredForm)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "maxlength": 30, "data-entry-value": ""}
        )


class MeasuredForm(forms.Form):
    """A form with a value (`value`, and `value2` where the measure has two inputs) of
    a KPI or of an input: its measure reads what was typed, in the reader's language."""

    value = NumberField(label=_("Value"))

    def __init__(self, *args, kpi: Kpi | None = None, input: Input | None = None, **kwargs):
        self.kpi, self.input = kpi, input
        self.measure = (kpi or input).measure
        super().__init__(*args, **kwargs)
        labels = self.measure.input_labels
        if labels:
            self.fields["value"].label = labels[0]
            self.fields["value2"] = NumberField(label=labels[1])

    def clean(self) -> dict:
        data = super().clean()
        if self.has_error("value") or self.has_error("value2"):
            return data
        try:
            data["value"], data["value2"] = self.measure.parse_parts(
                data.get("value"), data.get("value2")
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


class EntryForm(MeasuredForm):
    """One row on the entry page: a KPI's value, or a unit's contribution to an input
    (`input` and `unit`), or a calculated KPI's value the planning office enters
    instead (`overriding`: a reason is then asked for)."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    explanation = forms.CharField(
        label=_("Why the target was missed"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence = MultipleFileField(label=_("Evidence"), required=False)
    submit = forms.BooleanField(label=_("Submit"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args,
        kpi: Kpi | None = None,
        input: Input | None = None,
        unit: OrgUnit | None = None,
        overriding: bool = False,
        **kwargs,
    ):
        super().__init__(*args, kpi=kpi, input=input, **kwargs)
        self.unit = unit
        self.fields["evidence"].widget.attrs["accept"] = ".pdf,.xlsx,.docx,.png,.jpg,.jpeg"
        if input is not None:
            del self.fields["explanation"]  # an input has no target to miss
        if overriding:
            self.fields["reason"] = forms.CharField(
                label=_("Why the value is entered instead of calculated"),
                required=False,
                max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def to_entry(self, action: str) -> Entry:
        """`action` is the button pressed: save (a draft), submit_selected or submit_all."""
        data = self.cleaned_data
        has_value = data.get("value") is not None
        submit = (action == "submit_selected" and bool(data.get("submit"))) or (
            action == "submit_all" and has_value
        )
        return Entry(
            kpi=self.kpi,
            input=self.input,
            unit=self.unit,
            value=data.get("value"),
            value2=data.get("value2"),
            comment=data.get("comment", ""),
            explanation=data.get("explanation", ""),
            reason=data.get("reason", ""),
            seen_version=data["version"],
            submit=submit,
            files=data.get("evidence") or [],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give a reason."))
        return reason


class TargetChangeForm(MeasuredForm):
    value = NumberField(label=_("New target"))
    reason = forms.CharField(label=_("Reason for the change"), max_length=2000)


class AssignUnitForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Responsible unit"),
        queryset=OrgUnit.objects.all(),
        required=False,
        empty_label=_("— nobody (unassign) —"),
    )
