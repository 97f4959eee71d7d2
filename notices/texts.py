"""What each notice says, written in the active language (the caller switches to the
recipient's). Each function returns (subject, body)."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpis.models import Actual, Contribution

PLACEHOLDER = re.compile(r"\{(unit|year|due|when|count|list|link)\}")
PLACEHOLDERS = ("unit", "year", "due", "when", "count", "list", "link")


def absolute(link: str) -> str:
    return settings.SITE_URL.rstrip("/") + link if link else settings.SITE_URL


def day(value: date) -> str:
    return formats.date_format(value, "j E Y")


def what(row: Actual | Contribution) -> str:
    """A value or a contribution, named in the active language."""
    if isinstance(row, Actual):
        return _("KPI %(code)s “%(name)s”") % {"code": row.kpi.code, "name": row.kpi.name}
    return _("%(input)s of %(unit)s") % {"input": row.input.name, "unit": row.unit.name}


def workflow(event: str, row: Actual | Contribution, reason: str, link: str) -> tuple[str, str]:
    names = {"what": what(row), "year": row.year, "reason": reason, "link": absolute(link)}
    if event == "returned":
        subject = _("Returned for revision: %(what)s, %(year)s") % names
        body = _(
            "The planning office returned %(what)s for %(year)s for revision.\n\n"
            "Reason: %(reason)s\n\n"
            "Correct it and submit it again on the “My KPIs” page: %(link)s"
        )
    elif event == "reopened":
        subject = _("Reopened: %(what)s, %(year)s") % names
        body = _(
            "The planning office reopened the approved %(what)s for %(year)s so that it "
            "can be corrected.\n\nReason: %(reason)s\n\n"
            "Correct it and submit it again on the “My KPIs” page: %(link)s"
        )
    else:
        subject = _("Approved: %(what)s, %(year)s") % names
        body = _("The planning office approved %(what)s for %(year)s. It is now locked.")
    return subject, body % names


def digest(on: date, lines: list[str], link: str) -> tuple[str, str]:
    n = len(lines)
    subject = ngettext(
        "%(n)s value submitted on %(day)s",
        "%(n)s values submitted on %(day)s",
        n,
    ) % {"n": n, "day": day(on)}
    body = "\n".join(
        [
            _("Submitted on %(day)s and waiting for your review:") % {"day": day(on)},
            "",
            *[f"  {line}" for line in lines],
            "",
            _("Review them: %(link)s") % {"link": absolute(link)},
        ]
    )
    return subject, body


def weekly(week: str, red: list[str], overdue: list[str], link: str) -> tuple[str, str]:
    subject = _("Weekly summary %(week)s: %(red)s turned red, %(late)s units overdue") % {
        "week": week,
        "red": len(red),
        "late": len(overdue),
    }
    lines = [_("Turned red this week (approved values behind their target):"), ""]
    lines += [f"  {line}" for line in red] or [f"  {_('none')}"]
    lines += ["", _("Units overdue (values still missing after the due date):"), ""]
    lines += [f"  {line}" for line in overdue] or [f"  {_('none')}"]
    lines += ["", _("The overview: %(link)s") % {"link": absolute(link)}]
    return subject, "\n".join(lines)


def when_phrase(due: date, today: date) -> str:
    days = (due - today).days
    if days > 0:
        return ngettext("due in %(n)s day", "due in %(n)s days", days) % {"n": days}
    if days == 0:
        return _("due today")
    return ngettext("overdue by %(n)s day", "overdue by %(n)s days", -days) % {"n": -days}


def default_reminder() -> tuple[str, str]:
    """The application's own reminder, in the active language, with its placeholders."""
    subject = _("{unit}: {count} values for {year} still to submit ({when})")
    body = _(
        "Dear colleague,\n\n"
        "{unit} has not yet submitted these values for {year}, due on {due} ({when}):\n\n"
        "{list}\n\n"
        "Please enter and submit them on the “My KPIs” page: {link}"
    )
    return subject, body


def reminder(
    texts: tuple[str, str], *, unit: str, year: int, due: date, today: date, lines: list[str]
) -> tuple[str, str]:
    """The reminder's subject and text with its placeholders filled in."""
    values = {
        "unit": unit,
        "year": str(year),
        "due": day(due),
        "when": when_phrase(due, today),
        "count": str(len(lines)),
        "list": "\n".join(f"  {line}" for line in lines),
        "link": absolute(f"/entry/?year={year}"),
    }
    subject, body = texts
    fill = lambda text: PLACEHOLDER.sub(lambda m: values[m.group(1)], text)  # noqa: E731
    return " ".join(fill(subject).split())[:300], fill(body)
