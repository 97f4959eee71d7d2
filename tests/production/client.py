"""A browser-like client over real HTTP (requests): a cookie jar shared by every server
of the site, CSRF tokens read from the pages, the messages a page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests

from tests.html import form_fields

TIMEOUT = 60


class ServerError(AssertionError):
    """A server answered 5xx, or refused a request a browser would have made."""


@dataclass
class Page:
    status: int
    url: str
    html: str

    @property
    def successes(self) -> list[str]:
        return _messages(self.html, "success")

    @property
    def errors(self) -> list[str]:
        return _messages(self.html, "error")

    def csrf(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.html)
        if not match:
            raise ServerError(f"no CSRF token on {self.url}")
        return match.group(1)

    def form(self, css_class: str) -> dict[str, str]:
        return form_fields(self.html, css_class)


def _messages(html: str, level: str) -> list[str]:
    found = re.findall(rf'<li class="message message-{level}">(.*?)</li>', html, re.S)
    return [re.sub(r"\s+", " ", text).strip() for text in found]


class Browser:
    """One person's browser. Every request names the server that answers it, so one
    session can be spread over several servers as a load balancer would."""

    def __init__(self, name: str):
        self.name = name
        self.http = requests.Session()
        # English pages, so a report quotes readable messages; the checks read CSS classes.
        self.http.cookies.set("django_language", "en")

    def get(self, base: str, path: str) -> Page:
        response = self.http.get(base + path, timeout=TIMEOUT)
        return self._page(response)

    def post(self, base: str, path: str, data: dict, files: dict | None = None) -> Page:
        response = self.http.post(
            base + path,
            data=data,
            files=files,
            headers={"Referer": base + path},
            timeout=TIMEOUT,
        )
        return self._page(response)

    def post_no_follow(self, base: str, path: str, data: dict, files=None) -> requests.Response:
        response = self.http.post(
            base + path,
            data=data,
            files=files,
            headers={"Referer": base + path},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        if response.status_code >= 400:
            raise ServerError(f"{self.name}: POST {path} answered {response.status_code}")
        return response

    def download(self, base: str, path: str) -> bytes:
        response = self.http.get(base + path, timeout=TIMEOUT)
        if response.status_code != 200:
            raise ServerError(f"{self.name}: GET {path} answered {response.status_code}")
        return response.content

    def sign_in(self, base: str, username: str, password: str) -> None:
        """Through the real login form, as a person types it."""
        page = self.get(base, "/accounts/login/")
        data = {"username": username, "password": password, "csrfmiddlewaretoken": page.csrf()}
        answer = self.post(base, "/accounts/login/", data)
        if "/accounts/login/" in answer.url or not self.session_cookie():
            raise ServerError(f"{self.name}: could not sign in as {username}")

    def sign_out(self, base: str) -> Page:
        page = self.get(base, "/")
        return self.post(base, "/accounts/logout/", {"csrfmiddlewaretoken": page.csrf()})

    def session_cookie(self) -> str | None:
        return self.http.cookies.get("sessionid")

    def _page(self, response: requests.Response) -> Page:
        if response.status_code >= 500 or response.status_code == 403:
            raise ServerError(
                f"{self.name}: {response.request.method} {response.url} answered "
                f"{response.status_code}"
            )
        return Page(response.status_code, response.url, response.text)
