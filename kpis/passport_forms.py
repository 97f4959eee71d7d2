"""The passport page's form: the passport's texts in every language, the baseline's value
typed in the reader's language and read by the KPI's measure, and the reason."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.forms import MeasuredForm, NumberField
from kpis.models import PASSPORT_TEXT_LIMIT, PASSPORT_TEXTS, RANKING_FIELDS, Frequency, Kpi

# The model's fields that the form names otherwise: the measure reads `value`, `value2`.
FORM_NAMES = {"baseline_value": "value", "baseline_value2": "value2"}
TEXT_ROWS = {"baseline_comment": 2, "baseline_source": 2}
# Texts shown with the passport, then with the baseline.
PASSPORT_PART = [text for text in PASSPORT_TEXTS if not text.startswith("baseline_")]
BASELINE_PART = [text for text in PASSPORT_TEXTS if text.startswith("baseline_")]


@dataclass(frozen=True)
class TextGroup:
    """One text of the passport: its name and its input in each language."""

    label: str
    help_text: str
    fields: list[BoundField]


class PassportForm(MeasuredForm):
    """A KPI's passport and baseline as the planning office edits them."""

    value = NumberField(label=_("Baseline value"))
    baseline_year = forms.IntegerField(
        label=_("Baseline year"),
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    frequency = forms.ChoiceField(
        label=capfirst(Kpi._meta.get_field("frequency").verbose_name),
        choices=[("", "—"), *Frequency.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=PASSPORT_TEXT_LIMIT,
        error_messages={"required": _("Give a reason: the KPI's history will show it.")},
        help_text=_("Required: the KPI's history shows it beside the change."),
    )
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, kpi: Kpi, **kwargs):
        super().__init__(*args, kpi=kpi, **kwargs)
        for text in PASSPORT_TEXTS:
            for code, language in settings.LANGUAGES:
                self.fields[f"{text}_{code}"] = forms.CharField(
                    label=language,
                    required=False,
                    max_length=PASSPORT_TEXT_LIMIT,
                    widget=forms.Textarea(attrs={"rows": TEXT_ROWS.get(text, 3), "lang": code}),
                )
        if kpi.measure.ranking:
            for name in RANKING_FIELDS:
                field = Kpi._meta.get_field(name)
                self.fields[name] = forms.CharField(
                    label=capfirst(field.verbose_name), required=False, max_length=field.max_length
                )

    def text_groups(self, texts: list[str]) -> list[TextGroup]:
        groups = []
        for text in texts:
            field = Kpi._meta.get_field(text)
            bound = [self[f"{text}_{code}"] for code, _language in settings.LANGUAGES]
            groups.append(TextGroup(field.verbose_name, field.help_text, bound))
        return groups

    def passport_groups(self) -> list[TextGroup]:
        return self.text_groups(PASSPORT_PART)

    def baseline_groups(self) -> list[TextGroup]:
        return self.text_groups(BASELINE_PART)

    def ranking_fields(self) -> list[BoundField]:
        return [self[name] for name in RANKING_FIELDS if name in self.fields]

    def changes(self) -> dict[str, object]:
        """What was typed, by the KPI's field names (for passport.update_passport)."""
        data = self.cleaned_data
        changes = {
            name: data.get(name)
            for name in self.fields
            if name not in ("value", "value2", "reason", "seen")
        }
        changes["baseline_value"] = data.get("value")
        changes["baseline_value2"] = data.get("value2")
        return changes

    def clean(self) -> dict:
        data = super().clean()
        # Every rule of the KPI at once (kpis.models.Kpi.passport_errors), on what was
        # typed, so that a missing reason never hides a share over 100; a number that
        # could not be read is reported as such, and the rules skip it.
        unreadable = {name for name in ("value", "value2", "baseline_year") if self.has_error(name)}
        candidate = copy.copy(self.kpi)
        for name, value in self.changes().items():
            if FORM_NAMES.get(name, name) not in unreadable:
                setattr(candidate, name, value)
        for name, messages in candidate.passport_errors().items():
            field = FORM_NAMES.get(name, name)
            if field not in unreadable:
                self.add_error(field if field in self.fields else None, messages)
        return data

    def show(self, refusal: ValidationError) -> None:
        """A refusal of the service, on the fields it names."""
        if not hasattr(refusal, "error_dict"):
            self.add_error(None, refusal)
            return
        for name, messages in refusal.message_dict.items():
            field = FORM_NAMES.get(name, name)
            self.add_error(field if field in self.fields else None, messages)
