"""The reporting calendar's forms: a year's window, and a unit's lock exception."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import OrgUnit, ReportingYear

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CalendarForm(forms.Form):
    """A year's window: opens ≤ due ≤ closes, each optional; every problem at once."""

    opens = forms.DateField(label=_("Entry opens on"), required=False, widget=DATE_INPUT)
    due = forms.DateField(label=_("Values are due on"), required=False, widget=DATE_INPUT)
    closes = forms.DateField(label=_("Entry closes on"), required=False, widget=DATE_INPUT)
    keep_open = forms.BooleanField(
        label=_("Keep the year open after the close date"),
        required=False,
        help_text=_("Otherwise the year closes itself after its close date."),
    )

    def clean(self):
        data = super().clean()
        row = ReportingYear(opens=data.get("opens"), due=data.get("due"), closes=data.get("closes"))
        for name, problems in row.calendar_errors().items():
            for problem in problems:
                self.add_error(name, problem)
        return data


class ExceptionForm(forms.Form):
    """A unit that may still enter the year's values after it closed, until a day."""

    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.order_by("name"), empty_label="—"
    )
    until = forms.DateField(label=_("May enter until"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
