"""What a request to freeze a report asks for (the Ministry workbook or the yearly
report), and what is wrong with it: both freeze pages read their form here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from directions.models import Program
from metu_strategy.params import year_param


@dataclass
class FreezeRequest:
    year: int | None
    include_submitted: bool
    note: str
    problems: list[str] = field(default_factory=list)


def read_freeze_request(post: QueryDict, program: Program, *, note_max: int) -> FreezeRequest:
    """The year, whether submitted values count and the note, with every problem at once."""
    request = FreezeRequest(
        year=year_param(post.get("year"), program),
        include_submitted=post.get("include") == "submitted",
        note=post.get("note", "").strip(),
    )
    if request.year is None:
        request.problems.append(_("Nothing was frozen: choose a year of the program."))
    if len(request.note) > note_max:
        request.problems.append(
            _("Nothing was frozen: the note may be at most %(max)s characters; it has %(n)s.")
            % {"max": note_max, "n": len(request.note)}
        )
    return request
