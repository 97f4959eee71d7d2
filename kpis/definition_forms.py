"""Forms of the planning office's Inputs and calculations pages. The rules are
kpis.definitions' (and kpis.services' for exemptions): the forms ask them, so every
problem shows at once beside the form's own."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis import definitions, units
from kpis.models import Input, Kpi, OrgUnit


class CheckboxesField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class InputForm(forms.Form):
    name_kk = forms.CharField(label=_("Name in Kazakh"), max_length=300)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=300, required=False)
    name_en = forms.CharField(label=_("Name in English"), max_length=300, required=False)
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Latin letters, digits and hyphens, e.g. teaching-staff. Unique."),
    )
    unit = forms.ChoiceField(
        label=_("Unit of measure"),
        choices=[(u.value, u.label) for u in definitions.INPUT_UNITS],
    )
    reporters = CheckboxesField(
        label=_("Units that report it"),
        queryset=OrgUnit.objects.all(),
        required=False,
        help_text=_(
            "Each unit enters its own figure every year; the university's is their sum. "
            "Choose the units at the lowest level that counts it (departments), not "
            "their faculty as well, or the figure is counted twice."
        ),
    )

    def __init__(self, *args, program, item: Input | None = None, **kwargs):
        self.program, self.item = program, item
        super().__init__(*args, **kwargs)
        self.fields["reporters"].choices = [
            (row.unit.pk, "\u2003" * row.depth + str(row.unit))
            for row in units.unit_tree(OrgUnit.objects.all())
        ]

    def input_data(self) -> definitions.InputData:
        data = self.cleaned_data
        return definitions.InputData(
            code=data.get("code") or self.data.get("code", ""),
            name_kk=data.get("name_kk", ""),
            name_ru=data.get("name_ru", ""),
            name_en=data.get("name_en", ""),
            unit=data.get("unit", ""),
            reporters=list(data.get("reporters") or []),
        )

    def clean(self):
        cleaned = super().clean()
        found = definitions.input_problems(self.program, self.input_data(), self.item)
        for name, messages in found.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
        return cleaned


class InputsField(CheckboxesField):
    def label_from_instance(self, obj: Input) -> str:
        return f"{obj.name} ({obj.get_unit_display()})"


class CalculationForm(forms.Form):
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=Kpi.objects.none())
    numerator = InputsField(label=_("Numerator"), queryset=Input.objects.none(), required=False)
    denominator = InputsField(
        label=_("Denominator"),
        queryset=Input.objects.none(),
        required=False,
        help_text=_(
            "For a share: value = numerator ÷ denominator × 100, each side summed over the "
            "reporting units first. Leave it empty for a count that is the sum of the "
            "numerator."
        ),
    )

    def __init__(self, *args, program, kpi: Kpi | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        inputs = Input.objects.filter(program=program).order_by("code")
        self.fields["numerator"].queryset = inputs
        self.fields["denominator"].queryset = inputs
        calculable = Kpi.objects.filter(
            program=program, unit__in=[*definitions.SHARE_UNITS, *definitions.SUM_UNITS]
        ).order_by("task__goal__direction__number", "task__position", "position")
        if kpi is not None:
            self.fields["kpi"].queryset = Kpi.objects.filter(pk=kpi.pk)
            self.fields["kpi"].initial = kpi.pk
            self.fields["kpi"].disabled = True
        else:
            self.fields["kpi"].queryset = calculable.filter(calculation__isnull=True)
        self.fields["kpi"].label_from_instance = lambda k: f"{k.code} {k.name[:90]}"

    def clean(self):
        cleaned = super().clean()
        kpi = cleaned.get("kpi")
        if kpi is not None:
            problems = definitions.formula_problems(
                kpi, list(cleaned.get("numerator") or []), list(cleaned.get("denominator") or [])
            )
            for problem in problems:
                self.add_error(None, problem)
        return cleaned


class ExemptionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Why this unit has nothing to report, e.g. it has no postgraduates."),
    )
