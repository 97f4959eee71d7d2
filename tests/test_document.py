"""The yearly implementation report: its content, the Word file read back with
python-docx, the PDF LibreOffice makes of it read back with pdftotext (pages saved as
images under test-artifacts/document/), frozen copies, narratives.

LibreOffice takes seconds per file, so each language's report is built and converted
once per module (`reports`), from values entered and approved through the workflow
inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from decimal import Decimal as D
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from docx import Document

from directions.models import Direction, Program
from kpis import services
from kpis.models import Kpi, Target
from kpis.services import WorkflowError
from reports import document
from reports.models import FrozenDocument, Narrative, narrative_blocks
from reports.yearly import freeze_document, save_narrative
from tests.conftest import _ensure_program
from tests.files import pdf_bytes, upload

HAVE_OFFICE = all(shutil.which(t) for t in ("soffice", "pdftotext", "pdftoppm"))
needs_office = pytest.mark.skipif(
    not HAVE_OFFICE,
    reason="LibreOffice and poppler are not installed; `make test` installs them (office)",
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "document"
KAZAKH_LETTERS = "әғқңөұүһі"
YEAR = 2025

# Misses with the explanations their units wrote (Kazakh letters on purpose).
MISSES = {
    "1.1.3": (
        D("0.5"),
        "Оқытушылар көктемде кетті; үш жаңа оқытушы қабылданады (ә ғ қ ң ө ұ ү һ і).",
    ),
    "2.1.1": (D("0.5"), "Ғылыми жобалардың қаржыландыруы кешікті, сондықтан көрсеткіш төмен."),
    "5.1.1": (D("0.6"), "Қаржылық есеп жылдың соңында жабылды: нәтиже келесі тоқсанда көрінеді."),
}
ACHIEVED = {"1.2.1": D("1.2"), "3.1.2": D("1.0")}
SUBMITTED_ONLY = ("4.1.1", "Бұл түсініктеме бекітілмеген мәндікі: есепте болмауы керек.")
NARRATIVE = (
    "Бірінші бағыт бойынша жұмыс жалғасты.\nЖаңа бағдарламалар ашылды.\n\n"
    "- Үш бағдарлама аккредиттелді\n- Екі зертхана жабдықталды\n\nҚорытынды абзац."
)
DRAFT_NARRATIVE = "Бұл жоба мәтіні: есепке кірмеуі керек."


def _value(kpi: Kpi, factor: D) -> tuple[D, D | None]:
    target = Target.objects.get(kpi=kpi, year=YEAR)
    if kpi.unit == "ratio":
        post = (target.value2 * factor).quantize(D("0.1"))
        return D(100) - post, post
    if kpi.unit == "rank":
        return (target.value / factor).quantize(D(1)), None
    number = target.value * factor
    return (number.quantize(D(1)) if kpi.measure.whole else number.quantize(D("0.1"))), None


def enter_values(program: Program) -> None:
    """Approved misses (with explanations) and achievements, one submitted value, an
    evidence file, a final and a draft narrative — all through the services."""
    planner = User.objects.get(username="planner")
    entries = []
    for code, (factor, explanation) in {
        **MISSES,
        **{c: (f, "") for c, f in ACHIEVED.items()},
    }.items():
        kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
        value, value2 = _value(kpi, factor)
        entries.append(
            services.Entry(
                kpi=kpi, value=value, value2=value2, explanation=explanation, submit=True
            )
        )
    actuals = services.save_entries(user=planner, program=program, year=YEAR, entries=entries)
    for actual in actuals:
        services.approve(user=planner, actual=actual)
    services.attach_evidence(
        actual=actuals[0], user=planner, upload=upload("бұйрық-2025.pdf", pdf_bytes())
    )
    code, explanation = SUBMITTED_ONLY
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    value, value2 = _value(kpi, D("0.3"))
    services.save_entries(
        user=planner,
        program=program,
        year=YEAR,
        entries=[
            services.Entry(
                kpi=kpi, value=value, value2=value2, explanation=explanation, submit=True
            )
        ],
    )
    for language in ("kk", "ru", "en"):
        save_narrative(
            user=planner,
            direction=Direction.objects.get(program=program, number=1),
            year=YEAR,
            language=language,
            text=NARRATIVE,
            state="final",
            version=None,
        )
    save_narrative(
        user=planner,
        direction=Direction.objects.get(program=program, number=2),
        year=YEAR,
        language="kk",
        text=DRAFT_NARRATIVE,
        state="draft",
        version=None,
    )


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker) -> dict:
    """Each language's report for 2025 (approved values only): content, DOCX, PDF, the
    PDF's text; its pages saved as PNG."""
    built = {}
    with django_db_blocker.unblock(), transaction.atomic():
        program = _ensure_program()  # a transactional test before may have emptied it
        enter_values(program)
        codes = list(Kpi.objects.filter(program=program).values_list("code", flat=True))
        for language in ("kk", "ru", "en"):
            content = document.build_content(program, YEAR, language=language)
            docx = document.write_docx(content)
            built[language] = {"content": content, "docx": docx, "codes": codes}
        built["with-submitted"] = document.build_content(
            program, YEAR, language="kk", include_submitted=True
        )
        transaction.set_rollback(True)
    if HAVE_OFFICE:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for language in ("kk", "ru", "en"):
            item = built[language]
            pdf = document.convert_to_pdf(item["docx"])
            item["pdf"] = pdf
            path = ARTIFACTS / f"report-{YEAR}-{language}.pdf"
            path.write_bytes(pdf)
            (ARTIFACTS / f"report-{YEAR}-{language}.docx").write_bytes(item["docx"])
            item["text"] = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
            ).stdout.decode()
            subprocess.run(
                ["pdftoppm", "-r", "50", "-png", str(path), str(ARTIFACTS / f"page-{language}")],
                check=True,
            )
            item["info"] = subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, check=True
            ).stdout.decode()
            item["images"] = subprocess.run(
                ["pdfimages", "-list", str(path)], capture_output=True, check=True
            ).stdout.decode()
            item["fonts"] = subprocess.run(
                ["pdffonts", str(path)], capture_output=True, check=True
            ).stdout.decode()
    return built


def _docx(item) -> Document:
    return Document(BytesIO(item["docx"]))


def _table_rows(doc) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in doc.tables for row in t.rows]


# ------------------------------------------------------------------ the Word file


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_word_file_has_real_headings_for_every_part(language, reports):
    doc = _docx(reports[language])
    headings = [
        (p.style.name, p.text)
        for p in doc.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    level1 = [text for style, text in headings if style == "Heading 1"]
    content = reports[language]["content"]
    assert [h for h in level1 if any(h.endswith(d.name) for d in content.directions)] == [
        next(h for h in level1 if h.endswith(d.name)) for d in content.directions
    ]
    assert len(content.directions) == 5
    for d in content.directions:
        assert any(d.name in text for style, text in headings if style == "Heading 1")
    assert headings[0][0] == "Title"
    # Summary, five directions, alignment, section 5, evidence, notes.
    assert len(level1) == 10
    assert sum(1 for style, _t in headings if style == "Heading 2") == 5 * 4


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_word_file_has_a_row_for_every_kpi_with_a_header_row(language, reports):
    doc = _docx(reports[language])
    content = reports[language]["content"]
    kpi_tables = [t for t in doc.tables if len(t.columns) == 7]
    assert len(kpi_tables) == 5
    codes = [row.cells[0].text for t in kpi_tables for row in t.rows[1:]]
    assert sorted(codes) == sorted(reports[language]["codes"])
    assert len(codes) == 80
    for table in kpi_tables:
        header = table.rows[0]._tr
        assert header.xpath("./w:trPr/w:tblHeader"), "the header row repeats and is tagged"
    rows = {r[0]: r for r in _table_rows(doc) if len(r) == 7 and r[0] in MISSES}
    for code in MISSES:
        line = next(k for k in content.kpis if k.code == code)
        assert line.status in ("behind", "close")
        assert rows[code][2] == line.target and rows[code][3].startswith(line.actual)
        assert rows[code][6] == line.owner


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_word_file_gives_every_explanation_as_written(language, reports):
    text = "\n".join(p.text for p in _docx(reports[language]).paragraphs)
    for _factor, explanation in MISSES.values():
        assert explanation in text
    assert SUBMITTED_ONLY[1] not in text  # not approved: not counted, not explained


def test_the_word_file_has_a_chart_per_direction_and_the_summary(reports):
    doc = _docx(reports["kk"])
    assert len(doc.inline_shapes) == 6
    for shape in doc.inline_shapes:
        assert shape._inline.docPr.get("descr")  # alternative text


def test_the_final_narrative_is_included_as_paragraphs_and_a_list(reports):
    doc = _docx(reports["kk"])
    paragraphs = [(p.style.name, p.text) for p in doc.paragraphs]
    assert (
        "Normal",
        "Бірінші бағыт бойынша жұмыс жалғасты. Жаңа бағдарламалар ашылды.",
    ) in paragraphs
    assert ("List Bullet", "Үш бағдарлама аккредиттелді") in paragraphs
    assert ("List Bullet", "Екі зертхана жабдықталды") in paragraphs
    assert not any(DRAFT_NARRATIVE in text for _s, text in paragraphs)
    content = reports["kk"]["content"]
    assert content.directions[1].narrative_note  # direction 2: draft, said so


def test_the_word_file_lists_evidence_alignment_and_the_summary_base(reports):
    doc = _docx(reports["en"])
    rows = _table_rows(doc)
    first_miss = next(iter(MISSES))
    assert [first_miss, "бұйрық-2025.pdf"] in rows
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Based on 5 of" in text  # the overall achievement's base
    kazakh = "\n".join(p.text for p in _docx(reports["kk"]).paragraphs)
    assert "Қазақстан Республикасының 2050 жылға дейінгі даму стратегиясы" in kazakh
    assert "Халықтың жоғары біліммен қамтылу деңгейі" in kazakh  # the Concept's indicator 1
    assert "Section 5 of the program" in text
    assert "approved values only" in text


def test_the_statuses_are_the_dashboards(reports, program):
    from reports import dashboards, selectors

    content = reports["en"]["content"]
    # The module's values were rolled back; the content kept what the dashboards said.
    by_code = {k.code: k for k in content.kpis}
    assert by_code["1.2.1"].status == "achieved"
    assert by_code["3.1.2"].status == "achieved"
    assert by_code["4.1.1"].actual == "—"  # submitted only
    assert content.counts["achieved"] >= 2
    rows = dashboards.kpi_rows(selectors.kpis_with_values(program), program.years)
    assert len(rows) == len(content.kpis)


# ------------------------------------------------------------------ the PDF


@needs_office
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_pdf_has_every_kpi_code_and_the_kazakh_letters(language, reports):
    item = reports[language]
    text = item["text"]
    for code in item["codes"]:
        assert code in text, code
    for letter in KAZAKH_LETTERS:
        assert letter in text, letter
    for _factor, explanation in MISSES.values():
        # Line breaks and layout spaces aside, the explanation is there as written.
        assert "".join(explanation.split()) in "".join(text.split())


@needs_office
def test_the_pdf_is_tagged_with_its_fonts_embedded(reports):
    item = reports["kk"]
    assert "Tagged:          yes" in item["info"]
    fonts = [line.split() for line in item["fonts"].splitlines()[2:]]
    assert fonts and all(cols[-5] == "yes" for cols in fonts)  # the "emb" column
    assert any("NotoSans" in cols[0] for cols in fonts)
    images = [line for line in item["images"].splitlines()[2:] if line.split()[2] == "image"]
    assert len(images) == 6  # the summary's chart and one per direction
    pages = sorted(ARTIFACTS.glob("page-kk-*.png"))
    assert f"METU-2023-2029 · {YEAR} · {len(pages)}" in item["text"]  # the last page's foot
    assert len(pages) >= 10  # title, summary, five directions, alignment… (see the images)


# ------------------------------------------------------------------ narratives


def test_narrative_blocks():
    assert narrative_blocks("a\nb\n\n- x\n-  y\nc\n\n\n") == [
        ("paragraph", "a b"),
        ("list", ["x", "y"]),
        ("paragraph", "c"),
    ]
    assert narrative_blocks("  \t\n") == []


def test_the_planning_office_writes_a_narrative_with_history(planner, program):
    url = reverse("narrative_edit", args=[1, YEAR, "kk"])
    page = planner.get(url)
    assert page.status_code == 200
    response = planner.post(url, {"text": NARRATIVE, "state": "draft", "version": "0"})
    assert response.status_code == 302
    narrative = Narrative.objects.get(direction__number=1, year=YEAR, language="kk")
    assert narrative.state == "draft" and narrative.text == NARRATIVE
    response = planner.post(
        url, {"text": NARRATIVE + "\n\nТағы.", "state": "final", "version": "1"}
    )
    assert response.status_code == 302
    narrative.refresh_from_db()
    assert narrative.state == "final" and narrative.version == 2
    assert narrative.history.count() == 2
    assert "Тағы." in planner.get(url).content.decode()


def test_a_narrative_form_shows_every_error_and_keeps_the_text(planner, program):
    url = reverse("narrative_edit", args=[1, YEAR, "ru"])
    response = planner.post(url, {"text": "", "state": "final", "version": "0"})
    assert response.status_code == 400
    assert "narrative-errors" in response.content.decode()
    response = planner.post(url, {"text": "x\x01y", "state": "nonsense", "version": "0"})
    page = response.content.decode()
    assert page.count("<li>") >= 2  # the text's and the state's problem at once
    assert not Narrative.objects.filter(language="ru").exists()


def test_a_narrative_changed_meanwhile_is_not_overwritten(planner, program):
    url = reverse("narrative_edit", args=[1, YEAR, "en"])
    planner.post(url, {"text": "First.", "state": "draft", "version": "0"})
    response = planner.post(url, {"text": "Stale.", "state": "draft", "version": "0"})
    assert response.status_code == 400
    assert "Stale." in response.content.decode()  # kept as typed
    assert Narrative.objects.get(language="en", year=YEAR).text == "First."


@pytest.mark.parametrize("who", ["head", "rector"])
def test_only_the_planning_office_writes_narratives(who, program):
    user = User.objects.get(username=who)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        save_narrative(
            user=user,
            direction=Direction.objects.get(program=program, number=1),
            year=YEAR,
            language="kk",
            text="x",
            state="draft",
            version=None,
        )
    assert not Narrative.objects.exists()


# ------------------------------------------------------------------ freezing


@needs_office
def test_freezing_keeps_both_files_with_their_checksums(planner, program, settings):
    planner_user = User.objects.get(username="planner")
    frozen = freeze_document(
        user=planner_user, program=program, year=YEAR, language="kk", note="№ 12"
    )
    stored = FrozenDocument.objects.get(pk=frozen.pk)
    for kind in ("docx", "pdf"):
        response = planner.get(reverse("yearly_frozen_download", args=[frozen.pk, kind]))
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert getattr(stored, f"{kind}_sha256") == hashlib.sha256(content).hexdigest()
        assert content.startswith(b"%PDF" if kind == "pdf" else b"PK")
    assert Document(BytesIO(stored.docx.open("rb").read())).paragraphs
    assert stored.snapshot["report"]["year"] == YEAR
    assert len(stored.snapshot["report"]["directions"]) == 5
    assert stored.snapshot["program"]
    # A file changed on disk is refused, not served.
    path = Path(frozen.pdf.path)
    path.write_bytes(path.read_bytes() + b"x")
    response = planner.get(reverse("yearly_frozen_download", args=[frozen.pk, "pdf"]))
    assert response.status_code == 302


def test_the_freeze_asks_first_and_refuses_a_bad_language(planner, program):
    response = planner.post(
        reverse("yearly_freeze"), {"year": "2025", "language": "kk", "note": "x"}
    )
    assert response.status_code == 200
    assert "freeze-confirm" in response.content.decode()
    assert not FrozenDocument.objects.exists()
    response = planner.post(
        reverse("yearly_freeze"), {"year": "2025", "language": "xx", "confirm": "yes"}
    )
    assert response.status_code == 302
    assert not FrozenDocument.objects.exists()


def test_freezing_is_the_planning_offices(program):
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        freeze_document(
            user=User.objects.get(username="rector"), program=program, year=YEAR, language="kk"
        )
    with pytest.raises(WorkflowError):
        freeze_document(
            user=User.objects.get(username="planner"), program=program, year=YEAR, language="xx"
        )


def test_the_report_page_downloads_the_word_file(planner, program):
    page = planner.get(reverse("yearly_report"))
    assert page.status_code == 200 and "produce" in page.content.decode()
    response = planner.get(
        reverse("yearly_download"), {"year": "2025", "language": "ru", "format": "docx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == document.DOCX_TYPE
    doc = Document(BytesIO(b"".join(response.streaming_content)))
    assert doc.paragraphs and any(p.style.name == "Heading 1" for p in doc.paragraphs)


def test_the_report_page_refuses_garbled_choices(planner, program):
    for params in (
        {"year": "1999"},
        {"year": "2025", "language": "zz"},
        {"year": "2025", "language": "kk", "format": "exe"},
    ):
        response = planner.get(reverse("yearly_download"), params)
        assert response.status_code == 302


# Committed for real, as test_backup.py does: on PostgreSQL a flush inside the test's
# transaction is refused while the rows just written have deferred checks pending.
@pytest.mark.django_db(transaction=True)
def test_a_backup_keeps_frozen_documents_and_narratives(program, tmp_path, settings):
    """backup_data takes the frozen Word and PDF files (under media/frozen/) and the
    narratives; restore_data puts them back byte for byte."""
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from reports.yearly import document_digest

    planner = User.objects.get(username="planner")
    save_narrative(
        user=planner,
        direction=Direction.objects.get(program=program, number=3),
        year=YEAR,
        language="kk",
        text=NARRATIVE,
        state="final",
        version=None,
    )
    frozen = FrozenDocument(
        program=program,
        year=YEAR,
        language="kk",
        docx_sha256=document_digest(b"word"),
        pdf_sha256=document_digest(pdf_bytes()),
        snapshot={"report": {}},
        created_by=planner,
    )
    frozen.docx.save("r.docx", ContentFile(b"word"), save=False)
    frozen.pdf.save("r.pdf", ContentFile(pdf_bytes()), save=False)
    frozen.save()
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    call_command("restore_data", str(backup))
    restored = FrozenDocument.objects.get()
    assert restored.docx.open("rb").read() == b"word"
    assert restored.pdf.open("rb").read() == pdf_bytes()
    assert Narrative.objects.get().text == NARRATIVE


def test_a_calculated_kpi_shows_its_parts(program):
    """1.2.2 computed from two departments' inputs: the report gives the value and its
    numerator ÷ denominator, with how many parts are in."""
    from django.contrib.auth.models import Group

    from kpis import roles
    from kpis.models import Calculation, Input, OrgUnit, OrgUnitKind

    faculty = OrgUnit.objects.create(code="t-fac", name="Faculty", kind=OrgUnitKind.FACULTY)
    departments = [
        OrgUnit.objects.create(
            code=f"t-dep{n}", name=f"Dep {n}", kind=OrgUnitKind.DEPARTMENT, parent=faculty
        )
        for n in (1, 2)
    ]
    staff = Input.objects.create(program=program, code="staff", name="Teaching staff")
    degree = Input.objects.create(program=program, code="staff-degree", name="With a degree")
    for item in (staff, degree):
        item.reporters.set(departments)
    calculation = Calculation.objects.create(kpi=Kpi.objects.get(program=program, code="1.2.2"))
    calculation.numerator.set([degree])
    calculation.denominator.set([staff])
    planner = User.objects.get(username="planner")
    for n, department in enumerate(departments, 1):
        head = User.objects.create_user(f"dephead{n}")
        head.groups.add(Group.objects.get(name=roles.DEPARTMENT_HEAD))
        department.heads.add(head)
        saved = services.save_entries(
            user=head,
            program=program,
            year=YEAR,
            entries=[
                services.Entry(input=staff, unit=department, value=D(40), submit=True),
                services.Entry(input=degree, unit=department, value=D(20 + n), submit=True),
            ],
        )
        for contribution in saved:
            services.approve(user=planner, actual=contribution)
    content = document.build_content(program, YEAR, language="en")
    line = next(k for k in content.kpis if k.code == "1.2.2")
    assert line.actual == "53.75"  # 43 ÷ 80 × 100, as the KPI page shows it
    assert line.parts == "43 ÷ 80 (4 of 4 parts reported)"
    doc = Document(BytesIO(document.write_docx(content)))
    row = next(r for r in _table_rows(doc) if len(r) == 7 and r[0] == "1.2.2")
    assert row[3] == "53.75\n43 ÷ 80 (4 of 4 parts reported)"


def test_the_report_reads_the_database_in_a_fixed_number_of_queries(
    program, django_assert_num_queries
):
    with django_assert_num_queries(15):
        document.build_content(program, YEAR, language="ru")


def test_with_submitted_values_the_report_counts_and_explains_them(reports):
    content = reports["with-submitted"]
    line = next(k for k in content.kpis if k.code == SUBMITTED_ONLY[0])
    assert line.actual != "—" and line.status == "behind"
    assert line.explanation == SUBMITTED_ONLY[1]
    assert "submitted" in content.base or "жіберілген" in content.base


def test_without_libreoffice_the_pdf_is_refused_and_nothing_is_frozen(
    planner, program, monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))  # a server where soffice is not installed
    response = planner.get(
        reverse("yearly_download"), {"year": "2025", "language": "en", "format": "pdf"}
    )
    assert response.status_code == 302
    page = planner.get(response["Location"]).content.decode()
    assert "LibreOffice" in page
    response = planner.post(
        reverse("yearly_freeze"), {"year": "2025", "language": "kk", "confirm": "yes"}
    )
    assert response.status_code == 302
    assert "LibreOffice" in planner.get(response["Location"]).content.decode()
    assert not FrozenDocument.objects.exists()
