from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notices.models import OPTIONAL_KINDS, Kind, ReminderSettings
from notices.texts import PLACEHOLDER, PLACEHOLDERS

BRACED = re.compile(r"\{([^{}]*)\}")


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of notices and e-mails"),
        choices=settings.LANGUAGES,
        help_text=_("The interface switches to it too."),
    )
    email = forms.MultipleChoiceField(
        label=_("Send me these by e-mail"),
        choices=[(kind.value, kind.label) for kind in OPTIONAL_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Reminders of missing values are always sent. Every notice also appears under the bell."
        ),
    )


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = [
            "days_before",
            "days_after",
            "subject_kk",
            "body_kk",
            "subject_ru",
            "body_ru",
            "subject_en",
            "body_en",
        ]
        widgets = {f"body_{lang}": forms.Textarea(attrs={"rows": 8}) for lang in ("kk", "ru", "en")}

    def clean(self):
        data = super().clean()
        for name in ("subject_kk", "subject_ru", "subject_en", "body_kk", "body_ru", "body_en"):
            text = data.get(name) or ""
            unknown = [
                m.group(0) for m in BRACED.finditer(text) if not PLACEHOLDER.fullmatch(m.group(0))
            ]
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholder %(found)s; use only %(known)s.")
                    % {
                        "found": ", ".join(unknown),
                        "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
                    },
                )
        if (data.get("days_before") or 0) > 365 or (data.get("days_after") or 0) > 365:
            self.add_error(None, _("Remind at most 365 days before or after the due date."))
        return data


KIND_LABELS = dict(Kind.choices)
