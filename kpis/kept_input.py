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
    keep_values(request, form, {name: request.POST.get(name, "") for name in fields})


def keep_values(request: HttpRequest, form: str, values: dict[str, str]) -> None:
    """Keep `values` for `form`: what the form held, put as the page writes it again
    (the ids of ticked boxes, for instance)."""
    kept = request.session.get(SESSION_KEY, {})
    kept[form] = {name: value[:MAX_LENGTH] for name, value in values.items()}
    request.session[SESSION_KEY] = kept


def take(request: HttpRequest, form: str) -> dict[str, str]:
    """What was kept for `form`, once; {} when nothing was."""
    kept = request.session.get(SESSION_KEY)
    if not kept or form not in kept:
        return {}
    data = kept.pop(form)
    request.session[SESSION_KEY] = kept
    return data
