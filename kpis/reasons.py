"""Why a target, value or year changed, as the history keeps it.

The history stores a code (and the person's own words after it, where there are any),
never a sentence in the language of whoever made the change, so every reader sees each
reason in their own language: `returned: Attach the order` reads "Returned: Attach the
order" in English and "Қайтарылды: Attach the order" in Kazakh."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

SEPARATOR = ": "


class Reason(models.TextChoices):
    SAVED_DRAFT = "saved_draft", _("Saved as draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    REOPENED = "reopened", _("Reopened")
    YEAR_OPENED = "year_opened", _("Opened for entry")
    YEAR_CLOSED = "year_closed", _("Closed for entry")
    CALENDAR = "calendar", _("Reporting calendar changed")
    TARGET_CHANGED = "target_changed", _("Target changed")
    REVERTED = "reverted", _("Change reverted")
    RELOADED = "reloaded", _("Reloaded from the program fixture")
    IMPORTED = "imported", _("Imported in the administration")
    ASSIGNED = "assigned", _("Assigned to a unit")
    PASSPORT = "passport", _("Passport changed")
    DEMO = "demo", _("Demo data")
    DEFINITIONS = "definitions", _("Loaded from the proposed definitions")
    DEFINITIONS_DISCARDED = "definitions_discarded", _("Proposed definition discarded")
    DEFINITION_EDITED = "definition_edited", _("Changed by the planning office")
    DEFINITION_CONFIRMED = "definition_confirmed", _("Confirmed by the planning office")
    EXEMPTED = "exempted", _("Marked not applicable")
    EXEMPTION_WITHDRAWN = "exemption_withdrawn", _("Not applicable withdrawn")


def recorded(reason: Reason, detail: str = "") -> str:
    """What the history stores for `reason`, with a person's own words after it."""
    detail = detail.strip()
    return f"{reason.value}{SEPARATOR}{detail}" if detail else reason.value


def describe(stored: str | None) -> str:
    """A stored reason in the reader's language; text that is not a code (records
    written before codes, or by other tools) is shown as it was written."""
    code, _sep, detail = (stored or "").partition(SEPARATOR)
    if code not in Reason.values:
        return stored or ""
    label = str(Reason(code).label)
    return f"{label}{SEPARATOR}{detail}" if detail else label


def detail_of(stored: str | None) -> str:
    """The person's own words in a stored reason."""
    code, _sep, detail = (stored or "").partition(SEPARATOR)
    return detail if code in Reason.values else (stored or "")
