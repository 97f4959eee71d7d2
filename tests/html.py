"""Read a page's form the way a browser would, to post it back in tests."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_class: str):
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_class in (attrs.get("class") or "").split():
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "file", "button"}:
                return
            if kind == "checkbox" and "checked" not in attrs:
                return
            self.fields[name] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_fields(html: str, form_class: str) -> dict[str, str]:
    """The values a browser would post from the form with this CSS class."""
    parser = _FormParser(form_class)
    parser.feed(html)
    return parser.fields
