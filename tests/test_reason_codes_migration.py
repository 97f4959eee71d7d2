"""Reasons stored as sentences before codes existed read in the reader's language."""

import importlib

import pytest

migration = importlib.import_module("kpis.migrations.0009_reason_codes")


@pytest.mark.parametrize(
    "stored, code",
    [
        ("Жіберілді", "submitted"),
        ("Отправлено", "submitted"),
        ("Saved as draft", "saved_draft"),
        ("Қайтарылды: Бұйрықты тіркеңіз", "returned: Бұйрықты тіркеңіз"),
        ("Открыто повторно: пересчитать", "reopened: пересчитать"),
        ("2026-01-05 10:00 өзгерісі кері қайтарылды", "reverted: 2026-01-05 10:00"),
        ("Reloaded from the program fixture", "reloaded"),
        ("New admission plan", None),
    ],
)
def test_old_sentences_become_codes(stored, code):
    assert migration.code_for(stored) == code
