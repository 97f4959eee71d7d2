"""History reasons were stored as sentences in the language of whoever made the
change; they become codes (kpis/reasons.py) that each reader sees in their own
language. Sentences this application wrote, in any of its three languages, are
turned into their code; anything else (a planner's own words) is kept as written."""

import re

from django.db import migrations

SEPARATOR = ": "
PLAIN = {
    "saved_draft": ["Saved as draft", "Жоба ретінде сақталды", "Сохранено как черновик"],
    "submitted": ["Submitted", "Жіберілді", "Отправлено"],
    "approved": ["Approved", "Бекітілді", "Утверждено"],
    "year_opened": ["Opened for entry", "Енгізу үшін ашылды", "Открыт для ввода"],
    "year_closed": ["Closed for entry", "Енгізу үшін жабылды", "Закрыт для ввода"],
    "reloaded": ["Reloaded from the program fixture"],
    "demo": ["Demo assignment"],
    "imported": ["Imported in the administration"],
    "assigned": ["Assigned in bulk"],
}
WITH_DETAIL = {
    "returned": ["Returned: ", "Қайтарылды: ", "Возвращено: "],
    "reopened": ["Reopened: ", "Қайта ашылды: ", "Открыто повторно: "],
}
REVERTED = [
    re.compile(r"^Reverted the change of (?P<when>.+)$"),
    re.compile(r"^(?P<when>.+) өзгерісі кері қайтарылды$"),
    re.compile(r"^Отменено изменение от (?P<when>.+)$"),
]
HISTORIES = ["HistoricalActual", "HistoricalTarget", "HistoricalReportingYear", "HistoricalKpi"]


def code_for(text: str) -> str | None:
    for code, sentences in PLAIN.items():
        if text in sentences:
            return code
    for code, prefixes in WITH_DETAIL.items():
        for prefix in prefixes:
            if text.startswith(prefix):
                return code + SEPARATOR + text[len(prefix) :]
    for pattern in REVERTED:
        match = pattern.match(text)
        if match:
            return "reverted" + SEPARATOR + match["when"]
    return None


def to_codes(apps, schema_editor):
    for name in HISTORIES:
        model = apps.get_model("kpis", name)
        reasons = (
            model.objects.exclude(history_change_reason__isnull=True)
            .exclude(history_change_reason="")
            .values_list("history_change_reason", flat=True)
            .distinct()
        )
        for text in list(reasons):
            code = code_for(text)
            if code is not None and code != text:
                model.objects.filter(history_change_reason=text).update(
                    history_change_reason=code
                )


def target_reasons_to_codes(apps, schema_editor):
    """A planner's reason for a target change was stored bare; it is now stored after
    the code, so the page says "Target changed: <reason>"."""
    model = apps.get_model("kpis", "HistoricalTarget")
    known = {"reloaded", "demo", "imported", "reverted"}
    for record in model.objects.filter(history_type="~").exclude(history_change_reason=""):
        text = record.history_change_reason or ""
        if text and text.partition(SEPARATOR)[0] not in known and code_for(text) is None:
            record.history_change_reason = "target_changed" + SEPARATOR + text
            record.save(update_fields=["history_change_reason"])


class Migration(migrations.Migration):
    dependencies = [("kpis", "0008_history_reasons_whole")]

    operations = [
        migrations.RunPython(to_codes, migrations.RunPython.noop),
        migrations.RunPython(target_reasons_to_codes, migrations.RunPython.noop),
    ]
