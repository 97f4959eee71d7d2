"""The public results page, and the walk over every route proving that nothing else
opens to anonymous users.

The public pages show approved values of the published years only — no person's name,
no draft, submitted value, comment, explanation or evidence — and are the same bytes
for anonymous users and for every role."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kpis import services
from kpis.models import Kpi
from reports.models import FrozenDocument, PublicResults
from reports.yearly import document_digest, set_public_results
from tests.files import pdf_bytes, upload

ROLES = ["head", "head2", "planner", "rector"]
PUBLIC = ["public_overview", "public_matrix", "public_kpi", "public_report_pdf"]
SECRET_COMMENT = "Ішкі пікір: жарияланбауы керек"
SECRET_EXPLANATION = "Ішкі түсініктеме: жарияланбауы керек"


def _entry(program, code, value, **extra):
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    return services.Entry(kpi=kpi, value=D(value), **extra)


@pytest.fixture
def published(program):
    """2025 published: 1.1.3 approved (with a comment, an explanation and evidence),
    1.2.1 submitted only, 1.1.4 a draft; the demo's values of 2023 and 2024 (approved
    among them) not published; a frozen approved-only report of 2025 and one with
    submitted values."""
    planner = User.objects.get(username="planner")
    head = User.objects.get(username="head")
    head.first_name, head.last_name = "Әсел", "Құрманова"
    head.save()
    values = _save(
        user=head,
        program=program,
        year=2025,
        entries=[
            _entry(
                program,
                "1.1.3",
                "61.5",
                submit=True,
                comment=SECRET_COMMENT,
                explanation=SECRET_EXPLANATION,
            ),
            _entry(program, "1.2.1", "8.25", submit=True),
            _entry(program, "1.1.4", "77"),
        ],
    )
    services.attach_evidence(actual=values[0], user=head, upload=upload("құпия.pdf", pdf_bytes()))
    services.approve(user=planner, actual=values[0])
    reports = {}
    for include in (False, True):
        frozen = FrozenDocument(
            program=program,
            year=2025,
            language="kk",
            include_submitted=include,
            docx_sha256=document_digest(b"docx"),
            pdf_sha256=document_digest(pdf_bytes()),
            snapshot={},
            created_by=planner,
        )
        frozen.docx.save("r.docx", ContentFile(b"docx"), save=False)
        frozen.pdf.save("r.pdf", ContentFile(pdf_bytes()), save=False)
        frozen.save()
        reports[include] = frozen
    set_public_results(user=planner, program=program, enabled=True, years=[2025])
    return reports


def _urls(reports) -> list[str]:
    return [
        reverse("public_overview"),
        reverse("public_overview") + "?year=2024",  # not published: the 2025 overview
        reverse("public_matrix"),
        reverse("public_kpi", args=["1.1.3"]),
        reverse("public_kpi", args=["1.2.1"]) + "?lang=en",
    ]


def test_the_public_page_is_closed_by_default(program):
    assert not PublicResults.current().enabled
    for role in ["anonymous", *ROLES]:
        client = Client()
        if role != "anonymous":
            client.force_login(User.objects.get(username=role))
        for url in ["/public/", "/public/matrix/", "/public/kpi/1.1.1/", "/public/reports/1.pdf"]:
            assert client.get(url).status_code == 404, (role, url)


def test_opened_without_years_it_stays_closed(program):
    planner = User.objects.get(username="planner")
    set_public_results(user=planner, program=program, enabled=True, years=[])
    assert Client().get("/public/").status_code == 404


def test_anonymous_reads_approved_values_of_published_years_only(published):
    client = Client()
    overview = client.get(reverse("public_overview")).content.decode()
    assert "Based on 1 of" in overview or "1 KPI" in overview or "негізделген" in overview
    kpi_page = client.get(reverse("public_kpi", args=["1.1.3"])).content.decode()
    assert "61,5" in kpi_page  # approved in 2025, in Kazakh number format
    assert _years_shown(kpi_page) == {"2025"}  # the demo's 2023 and 2024: not published
    matrix = client.get(reverse("public_matrix")).content.decode()
    assert "61,5" in matrix
    assert "8,25" not in matrix  # submitted only
    assert "77" not in re.findall(r"/ (\S+) <span", matrix)  # the draft
    assert _years_shown(matrix) == {"2025"}
    unpublished = Client().get(reverse("public_overview") + "?year=2024").content.decode()
    assert unpublished == overview


def _years_shown(page: str) -> set[str]:
    """The years the page's tables have a column or row for."""
    return set(re.findall(r'<th scope="(?:col|row)">(20\d\d)</th>', page))


def test_no_names_comments_explanations_or_evidence(published):
    client = Client()
    pages = "".join(client.get(url).content.decode() for url in _urls(published))
    for secret in (
        SECRET_COMMENT,
        SECRET_EXPLANATION,
        "құпия.pdf",
        "Құрманова",
        "Әсел",
        *(u.get_full_name() for u in User.objects.exclude(first_name="", last_name="")),
        "csrfmiddlewaretoken",
        "/evidence/",
        "/accounts/",
    ):
        assert secret not in pages, secret


def test_every_role_gets_the_same_page_as_anonymous(published):
    anonymous = {url: Client().get(url).content for url in _urls(published)}
    for role in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=role))
        for url, content in anonymous.items():
            response = client.get(url)
            assert response.status_code == 200
            assert response.content == content, (role, url)


def test_only_approved_only_reports_of_published_years_download(published):
    client = Client()
    overview = client.get(reverse("public_overview")).content.decode()
    approved_only, with_submitted = published[False], published[True]
    assert reverse("public_report_pdf", args=[approved_only.pk]) in overview
    assert reverse("public_report_pdf", args=[with_submitted.pk]) not in overview
    response = client.get(reverse("public_report_pdf", args=[approved_only.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert client.get(reverse("public_report_pdf", args=[with_submitted.pk])).status_code == 404


def test_closing_the_page_closes_everything(published, program):
    planner = User.objects.get(username="planner")
    set_public_results(user=planner, program=program, enabled=False, years=[2025])
    for url in [*_urls(published), reverse("public_report_pdf", args=[published[False].pk])]:
        assert Client().get(url).status_code == 404


def test_the_public_page_is_cached_and_follows_the_data(
    published, program, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    url = reverse("public_kpi", args=["1.2.1"])
    assert "8,25" not in Client().get(url).content.decode()
    with django_assert_num_queries(1):  # the data version only: no page built
        Client().get(url)
    planner = User.objects.get(username="planner")
    submitted = Kpi.objects.get(program=program, code="1.2.1").actuals.get(year=2025)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(user=planner, actual=submitted)
    assert "8,25" in Client().get(url).content.decode()  # approved: the page follows
    with django_capture_on_commit_callbacks(execute=True):
        set_public_results(user=planner, program=program, enabled=False, years=[2025])
    assert Client().get(url).status_code == 404  # closed at once, cache or not


def test_the_planning_office_publishes_from_its_page(planner, program):
    response = planner.post(
        reverse("public_settings"), {"enabled": "on", "years": ["2023", "2024"]}
    )
    assert response.status_code == 302
    setting = PublicResults.current()
    assert setting.enabled and setting.published_years == [2023, 2024]
    response = planner.post(reverse("public_settings"), {"enabled": "on", "years": ["1999"]})
    assert PublicResults.current().published_years == [2023, 2024]  # refused whole
    for who in ("head", "rector"):
        client = Client()
        client.force_login(User.objects.get(username=who))
        assert client.post(reverse("public_settings"), {"enabled": ""}).status_code == 403
    assert PublicResults.current().enabled


# ---------------------------------------------------------------------- the walk

# What anonymous users may open: the sign-in pages, the health check, the icon, and
# the public results pages (404 while closed, tested above).
OPEN_TO_ANONYMOUS = {"login", "admin:login", "healthz", None, *PUBLIC}
SAMPLES = {
    "id": "1",
    "int": "1",
    "year": "2025",
    "kpi_code": "1.1.1",
    "open_close": "close",
    "str": "approve",
    "path": "1",
    "slug": "x",
}


def _routes(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def _example(route: str) -> str:
    """A concrete address for a route: converters and regex groups filled in."""
    route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: SAMPLES[m.group(1) or "str"], route)
    route = re.sub(
        r"\(\?P<(\w+)>[^)]*\)",
        lambda m: (
            "kpis" if m.group(1) == "app_label" else ("kpi" if m.group(1) == "model_name" else "1")
        ),
        route,
    )
    return "/" + route.replace("^", "").replace("$", "").replace("\\Z", "")


ROUTES = sorted(set(_routes(get_resolver().url_patterns)), key=lambda r: (r[0], r[1] or ""))


def test_the_walk_covers_every_route_of_the_application():
    names = {name for _r, name in ROUTES}
    for name in ("home", "yearly_report", "narrative_edit", "public_settings", *PUBLIC):
        assert name in names
    assert len(ROUTES) > 150


@pytest.mark.parametrize("route, name", ROUTES, ids=[r for r, _n in ROUTES])
def test_nothing_else_opens_to_anonymous_users(route, name, program):
    url = _example(route)
    client = Client()
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code != 500
        if name in OPEN_TO_ANONYMOUS:
            continue
        # The view was found and refused: sent to sign in (not a 404 of a bad example).
        assert response.status_code == 302, (url, response.status_code)
        assert "login" in response["Location"], url


def _save(**kwargs):
    try:
        return services.save_entries(**kwargs)
    except services.EntryErrors as exc:
        raise AssertionError(exc.errors) from exc


@pytest.mark.parametrize(
    "url, queries", [("/public/", 9), ("/public/matrix/", 8), ("/public/kpi/1.1.3/", 8)]
)
def test_a_public_page_runs_a_fixed_number_of_queries(
    url, queries, published, django_assert_num_queries
):
    with django_assert_num_queries(queries):
        assert Client().get(url).status_code == 200
