"""What a person typed in a small form that was refused, kept for the page they are sent
back to, so that it can be corrected instead of typed again.

The review's reason and the target change are posted from a page and answered with a
redirect back to it; the text travels in the session and is shown once."""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "kept_input"
MAX_LENGTH = 2000  # what the forms themselves accept


def keep(request: HttpRequest, form: str, fields: tuple[str, ...]) -> None:
    """Keep the posted `fields` of `form` (a name unique on the page it returns to)."""
    kept = request.session.get(SESSION_KEY, {})
    kept[form] = {name: request.POST.get(name, "")[:MAX_LENGTH] for name in fields}
    request.session[SESSION_KEY] = kept


def take(request: HttpRequest, form: str) -> dict[str, str]:
    """What was kept for `form`, once; {} when nothing was."""
    kept = request.session.get(SESSION_KEY)
    if not kept or form not in kept:
        return {}
    data = kept.pop(form)
    request.session[SESSION_KEY] = kept
    return data
