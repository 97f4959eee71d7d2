"""The Ministry workbook as LibreOffice prints it.

Each workbook is converted to PDF by LibreOffice itself (headless, with a private
profile so that parallel runs do not share one) and read back with poppler's
`pdftotext -bbox`: every word with its box, in points. The pages are also saved as
PNG under test-artifacts/excel-print/ for a person to look at.

What is checked:
- every KPI name prints whole inside its own cell: the words inside the KPI column and
  inside the row's box (its height in the file × the page's scale) read, spaces and
  line breaks aside, exactly as the name in the database. Text cut off at the bottom
  of a row is still in the PDF (LibreOffice draws it and clips it, or lets it run over
  the next row), but outside the box, so it is caught;
- how many pages each sheet takes (the footer names the sheet);
- the size of the printed text. The page's scale is measured, not read from the print
  set-up (LibreOffice picks it when fitting to the width): the distance in the PDF
  between two KPI rows' tops divided by those rows' heights in the file. That gives
  poppler's word height per point of font size, and so every word's printed size.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import statistics
import subprocess
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from directions.models import Program
from kpis import passport
from kpis.models import Actual, ActualState, Kpi
from reports.excel import FONT_SIZE, build_ministry_report, workbook_bytes
from tests.stamps import stamps

pytestmark = [
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("soffice", "pdftotext", "pdftoppm", "pdffonts")),
        reason="LibreOffice (soffice) and poppler-utils are not installed; `make test` installs "
        "libreoffice-calc-nogui, poppler-utils and fonts-crosextra-carlito",
    ),
    pytest.mark.django_db,  # the test database is set up only for tests that ask for it
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "excel-print"
CODE = re.compile(r"\d+\.\d+\.\d+")
LONG_EXPLANATION = (
    "Екі оқытушы көктемде университеттен кетті, сондықтан ағылшын тілінде сабақ беретін "
    "профессор-оқытушылардың үлесі жоспардан төмен болды; 2025 жылы үш жаңа оқытушы "
    "қабылданады және қазіргі оқытушылардың он екісі тіл курстарынан өтеді."
)
# Pages one year takes, measured with the program loaded by `load_program` (LibreOffice
# 7.4, Carlito): the program sheet 5 pages of A3, the summary and the About sheet one
# each. More means rows grew taller than their text or the scale dropped.
PROGRAM_PAGES = 5
# The passport sheet with the five long passports below: two pages of A3.
PASSPORT_PAGES = 2


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)

    @property
    def sheet(self) -> str:
        """The sheet's name, which the footer prints on the left."""
        footer = [w for w in self.words if w.y0 > self.bottom and w.x0 < self.width / 2]
        return " ".join(w.text for w in sorted(footer, key=lambda w: w.x0))

    @property
    def body(self) -> list[Word]:
        """The words above the footer."""
        return [w for w in self.words if w.y0 <= self.bottom]

    @property
    def bottom(self) -> float:
        return self.height - 36  # the bottom margin, half an inch, holds the footer


@dataclass
class Printed:
    workbook: object  # openpyxl's, read back from the bytes LibreOffice converted
    pages: list[Page]
    names: dict[str, str]  # KPI code → name in the report's language
    fonts: list[str]  # the fonts embedded in the PDF

    def pages_of(self, sheet: str) -> list[Page]:
        return [page for page in self.pages if page.sheet == sheet]


def read_pdf(path: Path) -> list[Page]:
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages: list[Page] = []
    for match in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xml, re.S):
        page = Page(len(pages) + 1, float(match[1]), float(match[2]))
        for word in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            match[3],
        ):
            page.words.append(Word(*map(float, word.groups()[:4]), html.unescape(word[5])))
        pages.append(page)
    return pages


@pytest.fixture(scope="module")
def printed(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Printed]:
    """The report for 2024 in Kazakh and Russian and for every year in Kazakh, as PDF."""
    folder = tmp_path_factory.mktemp("excel-print")
    books: dict[str, bytes] = {}
    names: dict[str, dict[str, str]] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        program = Program.objects.get(code="METU-2023-2029")
        _long_explanation(program)
        _passports(program)
        for label, year, language in (
            ("kk-2024", 2024, "kk"),
            ("ru-2024", 2024, "ru"),
            ("kk-all", None, "kk"),
        ):
            book = build_ministry_report(program, year=year, language=language)
            books[label] = workbook_bytes(book)
            names[label] = {
                k.code: getattr(k, f"name_{language}") or k.name_kk
                for k in Kpi.objects.filter(program=program)
            }
        transaction.set_rollback(True)  # the explanation was only for this report
    for label, content in books.items():
        (folder / f"{label}.xlsx").write_bytes(content)
    profile = tmp_path_factory.mktemp(f"lo-profile-{uuid.uuid4().hex}")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(folder / f"{label}.xlsx") for label in books),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = {}
    for label, content in books.items():
        pdf = folder / f"{label}.pdf"
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        result[label] = Printed(
            load_workbook(io.BytesIO(content)),
            read_pdf(pdf),
            names[label],
            [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]],
        )
        save_pictures(label, pdf, len(result[label].pages))
    return result


def save_pictures(label: str, pdf: Path, pages: int) -> None:
    """PNG pages for a person to look at: the year in Kazakh sharp enough to read, the
    others smaller; of every year only the first year's sheet and the last pages (the
    summary, the passports and About), since each year prints alike."""
    for old in ARTIFACTS.glob(f"{label}-*.png"):
        old.unlink()
    last = (pages - PASSPORT_PAGES - 1, pages)
    ranges = [(1, pages)] if label != "kk-all" else [(1, PROGRAM_PAGES), last]
    for first, last in ranges:
        subprocess.run(
            ["pdftoppm", "-r", "90" if label == "kk-2024" else "50", "-f", str(first)]
            + ["-l", str(last), "-png", str(pdf), str(ARTIFACTS / label)],
            check=True,
        )


def _long_explanation(program: Program) -> None:
    """A miss explained at length (four lines of its column), and one that looks like a
    formula, on values of 2024."""
    for code, text in (("1.2.1", LONG_EXPLANATION), ("1.2.2", "=1+1 is not a formula here")):
        Actual.objects.update_or_create(
            kpi=Kpi.objects.get(program=program, code=code),
            year=2024,
            defaults={
                "value": 1,
                "state": ActualState.APPROVED,
                "explanation": text,
                **stamps(ActualState.APPROVED),
            },
        )


@dataclass(frozen=True)
class Layout:
    """Where a sheet has its header and its KPIs' codes."""

    header_row: int = 3
    code_column: int = 3


PROGRAM = Layout()
PASSPORTS = Layout(header_row=1, code_column=1)


# Passports with long texts, and baselines of every kind of measure, for the passport sheet.
DEFINITION = {
    "kk": (
        "Оқу жылының 1 қазанындағы жағдай бойынша бакалавриат, магистратура және "
        "докторантура білім беру бағдарламалары бойынша оқитын білім алушылардың жалпы "
        "саны; академиялық демалыстағы білім алушылар есептелмейді."
    ),
    "ru": (
        "Общее число обучающихся по программам бакалавриата, магистратуры и докторантуры "
        "по состоянию на 1 октября учебного года; обучающиеся в академическом отпуске не "
        "учитываются."
    ),
}
BASELINES = {
    "1.1.1": (3160, None),
    "1.1.2": (Decimal("99.6"), Decimal("0.4")),
    "1.1.3": (Decimal("58.5"), None),
    "3.1.4": (751, 800),
    "4.1.1": (188, None),
}


def _passports(program: Program) -> None:
    planner = User.objects.get(username="planner")
    for code, (value, value2) in BASELINES.items():
        texts = {
            f"{field}_{language}": text
            for language, text in DEFINITION.items()
            for field in ("definition", "collection_method")
        }
        passport.update_passport(
            user=planner,
            kpi=Kpi.objects.get(program=program, code=code),
            changes={
                **texts,
                "data_source_kk": "ЕСУВО; кадрлар бөлімінің бұйрықтары",
                "frequency": "semester",
                "baseline_year": 2022,
                "baseline_value": Decimal(value),
                "baseline_value2": value2,
                "baseline_comment_kk": "2022–2023 оқу жылы, 1 қазандағы жағдай бойынша",
                "baseline_comment_ru": "2022–2023 учебный год, по состоянию на 1 октября",
                "baseline_source_kk": LONG_EXPLANATION,
            },
            reason="print test",
        )


def kpi_rows(sheet, layout: Layout = PROGRAM) -> dict[str, int]:
    column = layout.code_column
    return {
        sheet.cell(r, column).value: r
        for r in range(layout.header_row + 1, sheet.max_row + 1)
        if isinstance(sheet.cell(r, column).value, str)
        and CODE.fullmatch(sheet.cell(r, column).value)
    }


def program_pages(report: Printed, sheet) -> list[Page]:
    pages = report.pages_of(sheet.title)
    assert pages, f"no page of {sheet.title!r}: {[p.sheet for p in report.pages]}"
    return pages


def page_scale(page: Page, sheet, rows: dict[str, int]) -> tuple[float, list[Word]]:
    """How many PDF points one point of the sheet takes on this page, from the first
    and the last KPI row printed on it; and the code words of those rows."""
    codes = sorted(
        (w for w in page.body if w.text in rows and CODE.fullmatch(w.text)), key=lambda w: w.y0
    )
    first, last = rows[codes[0].text], rows[codes[-1].text]
    heights = sum(sheet.row_dimensions[r].height for r in range(first, last))
    return (codes[-1].y0 - codes[0].y0) / heights, codes


def printed_cells(report: Printed, sheet, column: int, layout: Layout = PROGRAM) -> dict[str, str]:
    """The text printed inside each KPI row's cell of `column` (the KPI's name in
    column 4), without spaces: words inside the column and inside the row's box."""
    rows = kpi_rows(sheet, layout)
    texts = {}
    for page in program_pages(report, sheet):
        scale, codes = page_scale(page, sheet, rows)
        left, right = column_edges(page, sheet, column, above=codes[0].y0, layout=layout)
        for code in codes:
            top = code.y0 - 1
            bottom = code.y0 + sheet.row_dimensions[rows[code.text]].height * scale
            inside = [
                w
                for w in page.body
                if w.x0 >= left - 1 and w.x1 <= right + 1 and w.y0 >= top and w.y1 <= bottom
            ]
            inside.sort(key=lambda w: (round(w.y0), w.x0))
            texts[code.text] = "".join(w.text for w in inside)
    return texts


def column_edges(
    page: Page, sheet, column: int, *, above: float, layout: Layout = PROGRAM
) -> tuple[float, float]:
    """Where `column` starts and ends on the page, from its header's middle and the one
    before it: the border between them divides the distance between the two middles
    as the columns' widths do (in pixels: 7 a character and 5 of padding)."""
    centres = [
        header_centre(page, sheet.cell(layout.header_row, c).value, above=above)
        for c in (column - 1, column)
    ]
    pixels = [
        sheet.column_dimensions[get_column_letter(c)].width * 7 + 5 for c in (column - 1, column)
    ]
    left = centres[0] + (centres[1] - centres[0]) * pixels[0] / sum(pixels)
    return left, 2 * centres[1] - left


def header_centre(page: Page, header: str, *, above: float) -> float:
    """The middle of the header's (first) line, in the header row above the rows."""
    tokens = header.split()
    starts = [w for w in page.body if w.text == tokens[0] and w.y0 < above]
    # Two headers may begin with the same word ("Базалық мән", "Базалық мән: …"): the
    # one whose line goes on with more of this header's words is this header.
    matched = [_header_line(page, start, tokens) for start in starts]
    start, end = max(matched, key=lambda m: (m[2], m[0].y0))[:2]
    return (start.x0 + end.x1) / 2


def _header_line(page: Page, start, tokens: list[str]):
    """The first and last word of `tokens` printed on `start`'s line, and how many."""
    line = sorted((w for w in page.body if abs(w.y0 - start.y0) < 1), key=lambda w: w.x0)
    end, count = start, 0
    for word, token in zip(line[line.index(start) :], tokens, strict=False):
        if word.text != token:
            break
        end, count = word, count + 1
    return start, end, count


def squeezed(text: str) -> str:
    """Text without its spaces and line breaks: LibreOffice breaks long words after a
    hyphen ("профессор-" / "оқытушылар"), which leaves the hyphen where it was."""
    return re.sub(r"\s+", "", text)


def test_prints_with_calibris_widths(printed):
    """The row heights assume Calibri's widths: LibreOffice has them in Carlito. Another
    font (LibreOffice falls back to a wider one) would cut text off."""
    fonts = printed["kk-2024"].fonts
    assert {"Carlito", "Carlito-Bold"} <= set(fonts), (
        f"{fonts}: install fonts-crosextra-carlito (`make test` does)"
    )


@pytest.mark.parametrize("label", ["kk-2024", "ru-2024"])
def test_every_kpi_name_prints_whole_in_its_cell(printed, label):
    report = printed[label]
    sheet = report.workbook.worksheets[0]
    cells = printed_cells(report, sheet, column=4)
    assert len(report.names) == 80
    cut = {
        code: (name, cells.get(code))
        for code, name in report.names.items()
        if cells.get(code) != squeezed(name)
    }
    assert not cut, f"{len(cut)} KPI names not printed whole: {cut}"


def test_a_long_explanation_prints_whole(printed):
    report = printed["kk-2024"]
    sheet = report.workbook.worksheets[0]
    cells = printed_cells(report, sheet, column=18)
    assert cells["1.2.1"] == squeezed(LONG_EXPLANATION)
    assert cells["1.2.2"] == squeezed("=1+1 is not a formula here")


@pytest.mark.parametrize("label", ["kk-2024", "ru-2024"])
def test_every_passport_prints_whole_in_its_cell(printed, label):
    report = printed[label]
    sheet = report.workbook.worksheets[-2]
    rows = kpi_rows(sheet, PASSPORTS)
    assert sorted(rows) == sorted(BASELINES)
    for column in (3, 7, 12):  # the definition, the collection method, the baseline's notes
        cells = printed_cells(report, sheet, column, PASSPORTS)
        written = {code: squeezed(sheet.cell(row, column).value) for code, row in rows.items()}
        assert cells == written, column
    assert DEFINITION[label[:2]] == sheet.cell(rows["1.1.1"], 3).value


def test_one_year_prints_on_few_pages_and_about_on_one(printed):
    report = printed["kk-2024"]
    program, summary, passports, about = report.workbook.sheetnames
    assert len(report.pages_of(program)) <= PROGRAM_PAGES
    assert len(report.pages_of(summary)) == 1
    assert len(report.pages_of(passports)) <= PASSPORT_PAGES
    assert len(report.pages_of(about)) == 1
    assert len(report.pages) <= PROGRAM_PAGES + PASSPORT_PAGES + 2
    # Every printed page belongs to a sheet: none is a stray column of a wide sheet.
    assert {page.sheet for page in report.pages} == {program, summary, passports, about}


def test_every_year_prints_each_year_like_one_year(printed):
    report = printed["kk-all"]
    *years, summary, passports, about = report.workbook.sheetnames
    assert len(years) == 7
    for name in years:
        assert 1 <= len(report.pages_of(name)) <= PROGRAM_PAGES, name
    assert len(report.pages_of(about)) == 1
    assert len(report.pages_of(summary)) <= 2
    assert len(report.pages_of(passports)) <= PASSPORT_PAGES
    assert len(report.pages) <= 7 * PROGRAM_PAGES + PASSPORT_PAGES + 3


@pytest.mark.parametrize("label", ["kk-2024", "kk-all"])
def test_no_printed_text_is_smaller_than_8_points(printed, label):
    report = printed[label]
    sheet = report.workbook.worksheets[0]
    rows = kpi_rows(sheet)
    # poppler's height of a word per point of (printed) font size, from the 11-point
    # KPI codes on the pages of the first program sheet.
    per_point = statistics.median(
        code.height / (FONT_SIZE * scale)
        for page in program_pages(report, sheet)
        for scale, codes in [page_scale(page, sheet, rows)]
        for code in codes
    )
    smallest = {}
    for page in report.pages:
        # Words of letters and digits: a symbol such as ✓ comes from a fallback font
        # with other proportions.
        sizes = [w.height / per_point for w in page.body if re.search(r"\w", w.text)]
        smallest[page.number] = round(min(sizes), 2)
    assert min(smallest.values()) >= 8, smallest
