"""What the template and its upload agree on: the columns, their headers in every
language, and the hidden sheet that says what the file is and what it held."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

MAX_UPLOAD = 5 * 1024 * 1024
TEMPLATE_MARK = "metu-entry-template"
META_SHEET = "meta"
META_ROWS_FROM = 6  # below the mark, program, unit and year: what each row held

# The template's columns; only value, comment and explanation are typed in.
CODE, NAME, UNIT, TARGET, PREVIOUS, VALUE, COMMENT, EXPLANATION = range(1, 9)
INPUTS = (VALUE, COMMENT, EXPLANATION)


class SpreadsheetError(Exception):
    """The file as a whole cannot be used; the message says why, for the user."""


def headers(year: int) -> list[str]:
    return [
        _("Code"),
        _("KPI"),
        _("Unit"),
        _("Target %(year)s") % {"year": year},
        _("Value %(year)s") % {"year": year - 1},
        _("Value %(year)s") % {"year": year},
        _("Comment"),
        _("Why the target was missed"),
    ]


def accepted_headers(year: int) -> list[list[str]]:
    """The header row in each language: a template downloaded in Russian may come back."""
    result = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            result.append(headers(year))
    return result
