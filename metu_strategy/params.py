"""Request parameters (GET and POST) read safely: a year, a direction, an id, a
version, the page to go back to.

`str.isdigit()` is true for "²", which int() refuses, and int() reads "٣" and "1_000";
a database refuses an id beyond its integer range. Only ASCII digits within a stated
range are read here; anything else gives the default, so a page falls back to what it
shows without the parameter instead of failing. Every app imports it; it imports no app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# 18 digits always fit a 64-bit integer column (the largest id is 19 digits long).
_DIGITS = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**63 - 1


class _Years(Protocol):
    start_year: int
    end_year: int


def int_param(
    text: object, *, minimum: int = 0, maximum: int = MAX_ID, default: int | None = None
) -> int | None:
    """`text` as an int when it is ASCII digits within [minimum, maximum], else `default`."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return default
    number = int(text)
    return number if minimum <= number <= maximum else default


def id_param(text: object) -> int | None:
    """A primary key: a positive integer the database can hold, else None."""
    return int_param(text, minimum=1)


def year_param(text: object, program: _Years, default: int | None = None) -> int | None:
    """A year of `program`, else `default`."""
    return int_param(text, minimum=program.start_year, maximum=program.end_year, default=default)


def id_list_param(texts: Iterable[object]) -> list[int] | None:
    """Ids ticked in a form; None when any of them is not an id (the whole list is
    refused rather than acting on part of what was sent)."""
    ids = [id_param(text) for text in texts]
    if any(pk is None for pk in ids):
        return None
    return list(dict.fromkeys(ids))


def next_param(request: HttpRequest, default: str) -> str:
    """The page to go back to ("next" in POST, else in GET) when it is a path on this
    site; otherwise `default` (a URL or a URL name, as redirect() takes). A relative
    "next" is refused too: redirect() would read "review" as the name of a view."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/") else default


def client_address(request: HttpRequest) -> str | None:
    """The client's own address, as login throttling counts it (behind the proxy, the
    last X-Forwarded-For entry: see settings.BEHIND_PROXY), for the security log."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)
