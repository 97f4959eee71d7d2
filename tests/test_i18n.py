"""Kazakh, Russian and English: complete catalogs, marked templates, every page in
every language, numbers as each language writes them."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates"]
LETTERS = re.compile(r"[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
# Text that is the same in every language.
UNTRANSLATED_OK = {"METU", "KPI", "M", "%", "Excel", "PDF", "XLSX", "CSV", "JSON", "QS"}
# The 500 page renders even when nothing else works, so it carries all three
# languages as plain text instead of relying on the translation machinery.
EXEMPT_TEMPLATES = {"500.html"}
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def unmarked_text(source: str) -> list[str]:
    """Visible text in a template that is not inside a translation tag."""
    source = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", source, flags=re.S)
    # CSS class names passed to the base template through blocks, not text.
    source = re.sub(r"{%\s*block \w+_class\s*%}.*?{%\s*endblock\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<!--.*?-->", " ", source, flags=re.S)
    collector = _TextCollector()
    collector.feed(source)
    found = []
    for text in collector.texts:
        for word in re.split(r"[\s·|/:,.()\-–—]+", text):
            if LETTERS.search(word) and word not in UNTRANSLATED_OK:
                found.append(word)
    return found


def templates():
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            if path.name not in EXEMPT_TEMPLATES:
                yield path


@pytest.mark.parametrize("path", list(templates()), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_mark_every_visible_text_for_translation(path):
    assert unmarked_text(path.read_text(encoding="utf-8")) == []


def test_the_checker_catches_unmarked_text():
    assert unmarked_text('<p>Save draft</p><input placeholder="Reason">') == [
        "Save",
        "draft",
        "Reason",
    ]
    assert unmarked_text('<p>{% translate "Save draft" %}</p>') == []
    assert unmarked_text("<p>{% blocktranslate %}Hello {{ x }}{% endblocktranslate %}</p>") == []


CATALOGS = {
    lang: ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("kk", "ru", "en")
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated(lang):
    catalog = polib.pofile(str(CATALOGS[lang]))
    missing = [e.msgid for e in catalog if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == []


KAZAKH_COMPLETIONS = [
    ROOT / "locale_django_kk" / "kk" / "LC_MESSAGES" / "django.po",
    ROOT / "locale_django_kk" / "kk" / "LC_MESSAGES" / "djangojs.po",
    ROOT / "locale_libraries_kk" / "kk" / "LC_MESSAGES" / "django.po",
]


@pytest.mark.parametrize("path", KAZAKH_COMPLETIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kazakh_completions_of_django_and_the_admin_libraries(path):
    catalog = polib.pofile(str(path))
    assert [e.msgid for e in catalog if not e.translated() or e.fuzzy] == []
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    assert len([e for e in compiled if e.msgid]) == len(catalog.translated_entries())


def test_the_admin_speaks_kazakh(program):
    page = client_in("planner", "kk").get("/admin/kpis/target/import/").content.decode()
    for english in ["File to import", "This importer will import the following fields"]:
        assert english not in page


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_compiled_catalogs_match_their_sources(lang):
    source = polib.pofile(str(CATALOGS[lang]))
    compiled = polib.mofile(str(CATALOGS[lang].with_suffix(".mo")))
    expected = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in source.translated_entries()
    }
    found = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in compiled if e.msgid
    }
    assert found == expected


# --- Every page in every language ---------------------------------------------------

PAGES = [
    ("rector", "/"),
    ("rector", "/matrix/"),
    ("rector", "/program/"),
    ("rector", "/direction/1/"),
    ("rector", "/kpi/1.1.2/"),
    ("rector", "/reports/frozen/"),
    ("rector", "/units/"),
    ("head", "/entry/?year=2025"),
    ("planner", "/review/"),
    ("planner", "/progress/"),
    ("planner", "/admin/"),
    ("planner", "/admin/kpis/kpi/"),
    ("planner", "/years/2025/calendar/"),
    ("planner", "/notifications/"),
    ("planner", "/notifications/reminders/"),
    ("planner", "/notifications/remind/?year=2025"),
    ("head", "/notifications/settings/"),
]
OVERVIEW = {"kk": "Шолу", "ru": "Обзор", "en": "Overview"}
KPI_NAME_1_1_2 = {
    "kk": "Жоғары / жоғары оқу орнынан кейінгі білім алушылар контингентінің арақатынасы",
    "ru": "Соотношение контингента",
    "en": "Ratio of higher / postgraduate student enrolment",
}


def client_in(username: str, language: str):
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("username, url", PAGES)
def test_every_page_renders_in_every_language(program, username, url, language):
    response = client_in(username, language).get(url)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    page = response.content.decode()
    if not url.startswith("/admin/"):
        assert f'<html lang="{language}">' in page
        assert OVERVIEW[language] in page  # the navigation is translated


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_program_content_follows_the_language(program, language):
    page = client_in("rector", language).get("/kpi/1.1.2/").content.decode()
    assert KPI_NAME_1_1_2[language] in page


def test_kazakh_is_the_default_whatever_the_browser_prefers(program):
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(User.objects.get(username="rector"))
    assert client.get("/")["Content-Language"] == "kk"


def test_the_chosen_language_is_remembered(program):
    client = client_in("rector", "kk")
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert int(response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"]) >= 30 * 24 * 3600
    assert client.get("/")["Content-Language"] == "ru"


def test_kazakh_numbers_use_a_comma_and_a_space(program):
    page = client_in("rector", "kk").get("/program/").content.decode()
    assert "3\u00a0160" in page and "96,5/3,5" in page
    english = client_in("rector", "en").get("/program/").content.decode()
    assert "3,160" in english and "96.5/3.5" in english


@pytest.mark.parametrize("typed, stored", [("68,5", "68.5"), ("68.5", "68.5"), ("1 250", "1250")])
def test_a_number_typed_with_a_comma_is_saved_right(program, typed, stored):
    from decimal import Decimal

    from kpis.models import Actual, Kpi
    from tests.html import form_fields

    client = client_in("head", "kk")
    code = "1.3.6" if " " in typed else "1.1.3"  # persons for the grouped number
    prefix = f"k{Kpi.objects.get(program=program, code=code).id}"
    url = "/entry/?year=2025"
    fields = form_fields(client.get(url).content.decode(), "entry-form")
    fields[f"{prefix}-value"] = typed
    client.post(url, {**fields, "action": "save"})
    assert Actual.objects.get(kpi__code=code, year=2025).value == Decimal(stored)


def test_messages_reach_the_user_in_kazakh(program):
    from kpis.models import Kpi
    from tests.html import form_fields

    client = client_in("head", "kk")
    prefix = f"k{Kpi.objects.get(program=program, code='1.1.3').id}"
    url = "/entry/?year=2025"
    fields = form_fields(client.get(url).content.decode(), "entry-form")
    fields[f"{prefix}-value"] = "120"
    page = client.post(url, {**fields, "action": "save"}).content.decode()
    assert "A share in per cent lies between 0 and 100." not in page
    assert "Пайыздық үлес 0 мен 100 аралығында болады." in page


def test_json_export_in_a_chosen_language(program):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("export_program", "--lang", "ru", stdout=out)
    direction = json.loads(out.getvalue())["directions"][0]
    assert direction["name"] == "Академическая деятельность университета"


def test_excel_report_in_kazakh_and_russian(program):
    import io

    from openpyxl import load_workbook

    from reports.excel import build_ministry_report, workbook_bytes

    def read(language):
        content = workbook_bytes(build_ministry_report(program, year=2024, language=language))
        return load_workbook(io.BytesIO(content))

    kk, ru = read("kk"), read("ru")
    assert kk.sheetnames[0] == "Бағдарлама" and ru.sheetnames[0] == "Программа"
    assert ru["Программа"].cell(3, 1).value == "Цель"
    assert kk["Бағдарлама"].cell(3, 1).value == "Мақсат"


def test_kazakh_admin_words_are_spelled_right(program):
    from kpis.models import OrgUnit

    client = client_in("planner", "kk")
    unit = OrgUnit.objects.first()
    page = client.get(f"/admin/kpis/orgunit/{unit.pk}/change/").content.decode()
    assert "өзгету" not in page and "өзгерту" in page
    import json

    catalog = client.get("/admin/jsi18n/").content.decode()
    available = json.dumps("Қолжетімді %s")[1:-1]  # the catalog escapes non-ASCII
    assert available in catalog and json.dumps("%s бар")[1:-1] not in catalog
