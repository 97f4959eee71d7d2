"""The yearly implementation report as a document: what it says (`build_content`, read
from the dashboards' selectors, statuses as the dashboards judge them), written as a
Word file (`write_docx`, python-docx: real heading styles, tables with header rows, a
chart per direction) and converted to PDF by LibreOffice headless (`convert_to_pdf`,
tagged, fonts embedded)."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from directions.models import Program
from kpis.models import Evidence
from kpis.rollup import Computed
from kpis.status import STATUS_SYMBOLS, Status
from kpis.values import display_number
from reports import dashboards, selectors
from reports.models import Narrative, NarrativeState

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
FONT = "Noto Sans"  # every Kazakh letter; Debian's fonts-noto-core (Makefile `office`)
MISSED = (Status.BEHIND, Status.CLOSE)
STATUS_COLOURS = {
    Status.ACHIEVED: "#2e7d32",
    Status.CLOSE: "#f9a825",
    Status.BEHIND: "#c62828",
    Status.NO_DATA: "#9e9e9e",
    Status.NOT_DUE: "#cfd8dc",
    Status.NO_TARGET: "#eceff1",
}
LANGUAGE_TAGS = {"kk": "kk-KZ", "ru": "ru-RU", "en": "en-GB"}


class DocumentError(Exception):
    """The document could not be made; the message is for the person who asked."""


# ---------------------------------------------------------------------------- content


@dataclass
class KpiLine:
    code: str
    name: str
    unit: str
    target: str
    actual: str
    achievement: str
    status: str
    status_label: str
    owner: str
    parts: str = ""
    explanation: str = ""
    evidence: list[str] = field(default_factory=list)
    achievement_number: float | None = None


@dataclass
class TaskPart:
    number: str
    name: str


@dataclass
class DirectionPart:
    number: int
    name: str
    goals: list[str]
    tasks: list[TaskPart]
    achievement: str
    base: str
    counts: dict[str, int]
    kpis: list[KpiLine]
    narrative: list[tuple[str, object]]
    narrative_note: str

    @property
    def misses(self) -> list[KpiLine]:
        return [k for k in self.kpis if k.status in MISSED]


@dataclass
class AlignmentPart:
    direction: str
    document: str
    provisions: list[str]
    indicators: list[str]


@dataclass
class ReportContent:
    program_code: str
    program_title: str
    university: str
    year: int
    language: str
    include_submitted: bool
    generated: str
    counted: str
    achievement: str
    base: str
    counts: dict[str, int]
    status_labels: dict[str, str]
    directions: list[DirectionPart]
    alignment: list[AlignmentPart]
    expected_results_note: str
    notes: list[str]

    def as_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=str))

    @property
    def kpis(self) -> list[KpiLine]:
        return [k for d in self.directions for k in d.kpis]


def build_content(
    program: Program,
    year: int,
    *,
    language: str,
    include_submitted: bool = False,
    now: datetime | None = None,
) -> ReportContent:
    """Everything the report says, in `language`, counted as the dashboards count it."""
    with translation.override(language):
        return _content(program, year, language, include_submitted, now or timezone.now())


def _content(program, year, language, include_submitted, now) -> ReportContent:
    values = selectors.program_values(
        program, include_submitted=include_submitted, with_explanations=True
    )
    rows = dashboards.kpi_rows(values.kpis, program.years)
    overall, by_direction = dashboards.summarise(rows, year)
    tree = selectors.program_tree(program)
    evidence = _evidence(program, year, include_submitted)
    narratives = {
        n.direction_id: n
        for n in Narrative.objects.filter(direction__program=program, year=year, language=language)
    }
    counted = _("approved and submitted values") if include_submitted else _("approved values only")
    lines_by_direction: dict[int, list[KpiLine]] = {}
    for row in rows:
        line = _kpi_line(row, year, evidence.get(row.kpi.id, []))
        lines_by_direction.setdefault(row.kpi.task.goal.direction.number, []).append(line)
    directions = []
    alignment = []
    for direction in tree:
        summary = by_direction.get(direction.number) or dashboards.GroupSummary()
        narrative = narratives.get(direction.id)
        if narrative is None or not narrative.text.strip():
            blocks, note = [], _("No narrative has been written for this direction yet.")
        elif narrative.state != NarrativeState.FINAL:
            blocks, note = [], _("The narrative for this direction is still a draft: not included.")
        else:
            blocks, note = narrative.blocks, ""
        directions.append(
            DirectionPart(
                number=direction.number,
                name=direction.name,
                goals=[g.name for g in direction.goals.all()],
                tasks=[
                    TaskPart(t.number, t.name) for g in direction.goals.all() for t in g.tasks.all()
                ],
                achievement=_percent(summary.achievement),
                base=_base(summary, include_submitted),
                counts={s.value: summary.count(s) for s in Status},
                kpis=lines_by_direction.get(direction.number, []),
                narrative=blocks,
                narrative_note=note,
            )
        )
        for item in direction.alignments.all():
            alignment.append(
                AlignmentPart(
                    direction=f"{direction.number}. {direction.name}",
                    document=item.document.name,
                    provisions=item.provisions,
                    indicators=[f"{i.number}. {i.name}" for i in item.indicators],
                )
            )
    notes = [
        _(
            "Statuses and achievement are those of the application's dashboards: achievement "
            "is the value against the target, each KPI counted as at most 100 per cent in the means."
        ),
        _("Values counted: %(counted)s.") % {"counted": counted},
    ]
    expected = _(
        "Section 5 of the program (expected results by %(year)s) restates the targets of "
        "table 4.2 for %(year)s; the application does not keep it separately, so progress "
        "against it is the progress against the %(year)s targets in the tables above. Where "
        "section 5 differs from table 4.2, the KPI's notes say so."
    ) % {"year": program.end_year}
    return ReportContent(
        program_code=program.code,
        program_title=program.title,
        university=program.developer or "",
        year=year,
        language=language,
        include_submitted=include_submitted,
        generated=date_format(timezone.localtime(now), "DATE_FORMAT"),
        counted=counted,
        achievement=_percent(overall.achievement),
        base=_base(overall, include_submitted),
        counts={s.value: overall.count(s) for s in Status},
        status_labels={s.value: str(s.label) for s in Status},
        directions=directions,
        alignment=alignment,
        expected_results_note=expected,
        notes=notes,
    )


def _kpi_line(row: dashboards.KpiRow, year: int, evidence: list[str]) -> KpiLine:
    kpi = row.kpi
    cell = row.cell(year)
    measure = kpi.measure
    target = cell.target
    actual = cell.actual
    assessment = cell.assessment
    parts = ""
    # A calculated KPI's value is its Computed, or an entered value with it beside.
    computed = actual if isinstance(actual, Computed) else getattr(actual, "computed", None)
    if computed is not None:
        parts = _parts(computed)
    explanation = ""
    if actual is not None and assessment.status in MISSED:
        explanation = (getattr(actual, "explanation", "") or "").strip()
    return KpiLine(
        code=kpi.code,
        name=kpi.name,
        unit=str(kpi.get_unit_display()),
        target=measure.display_target(target.value, target.value2) if target else "—",
        actual=measure.display(actual.value, actual.value2) if actual else "—",
        achievement=_percent(assessment.achievement),
        status=assessment.status,
        status_label=f"{STATUS_SYMBOLS[assessment.status]} {Status(assessment.status).label}",
        owner=kpi.owner.name if kpi.owner else "—",
        parts=parts,
        explanation=explanation,
        evidence=evidence,
        achievement_number=(
            float(assessment.achievement) if assessment.achievement is not None else None
        ),
    )


def _parts(computed) -> str:
    numbers = [
        display_number(number)
        for number in (computed.numerator, computed.denominator)
        if number is not None
    ]
    text = " ÷ ".join(numbers)
    reported = _("%(n)s of %(m)s parts reported") % {
        "n": computed.reported,
        "m": computed.expected,
    }
    return f"{text} ({reported})" if text else reported


def _evidence(program: Program, year: int, include_submitted: bool) -> dict[int, list[str]]:
    """The names of the files backing each KPI's counted value of the year."""
    rows = (
        Evidence.objects.filter(
            actual__kpi__program=program,
            actual__year=year,
            actual__state__in=selectors.counted_states(include_submitted=include_submitted),
        )
        .order_by("uploaded_at", "id")
        .values_list("actual__kpi_id", "original_name")
    )
    found: dict[int, list[str]] = {}
    for kpi_id, name in rows:
        found.setdefault(kpi_id, []).append(name)
    return found


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{number_format(value, 1, use_l10n=True)}%"


def _base(summary: dashboards.GroupSummary, include_submitted: bool) -> str:
    if include_submitted:
        text = _(
            "Based on %(n)s of %(m)s KPIs with a target that have an approved or submitted value."
        )
    else:
        text = _("Based on %(n)s of %(m)s KPIs with a target that have an approved value.")
    return text % {"n": summary.with_value, "m": summary.with_target}


# ---------------------------------------------------------------------------- charts


def direction_chart(part: DirectionPart, year: int) -> bytes:
    """A horizontal bar per KPI: its achievement in the year (capped at 150 for the
    drawing), coloured by status, with the target at 100%."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    lines = part.kpis
    height = max(2.0, 0.32 * len(lines) + 1.0)
    fig, ax = plt.subplots(figsize=(6.5, height), dpi=150)
    try:
        labels = [k.code for k in lines]
        values = [min(k.achievement_number or 0.0, 150.0) for k in lines]
        colours = [STATUS_COLOURS[Status(k.status)] for k in lines]
        positions = list(range(len(lines)))
        ax.barh(positions, values, color=colours, edgecolor="#455a64", linewidth=0.4)
        ax.set_yticks(positions, labels)
        ax.axvline(100, color="#263238", linewidth=1, linestyle="--")
        for index, line in enumerate(lines):
            if line.achievement_number is None:
                ax.text(2, index, line.status_label, va="center", fontsize=7, color="#37474f")
        ax.invert_yaxis()
        ax.set_xlim(0, 155)
        ax.set_xlabel(_("Achievement in %(year)s, %% of the target") % {"year": year})
        ax.set_title(f"{part.number}. " + _("KPIs of the direction"), fontsize=10)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def summary_chart(content: ReportContent) -> bytes:
    """One stacked bar per direction: how many of its KPIs have each status."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2.8), dpi=150)
    try:
        positions = list(range(len(content.directions)))
        left = [0] * len(positions)
        for status in Status:
            counts = [d.counts.get(status.value, 0) for d in content.directions]
            ax.barh(
                positions,
                counts,
                left=left,
                color=STATUS_COLOURS[status],
                edgecolor="#455a64",
                linewidth=0.4,
                label=content.status_labels[status.value],
            )
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set_yticks(positions, [str(d.number) for d in content.directions])
        ax.invert_yaxis()
        ax.set_ylabel(_("Direction"))
        ax.set_xlabel(_("Number of KPIs"))
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
        ax.tick_params(labelsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------- DOCX


def write_docx(content: ReportContent) -> bytes:
    """The report as a Word file."""
    with translation.override(content.language):
        return _docx(content)


def _docx(c: ReportContent) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT  # noqa: F401 - portrait kept
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    _set_fonts(doc, c.language)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    _footer(section, f"{c.program_code} · {c.year}")
    props = doc.core_properties
    props.title = _("Report on the implementation of the Development Program, %(year)s") % {
        "year": c.year
    }
    props.subject = c.program_title
    props.language = LANGUAGE_TAGS.get(c.language, c.language)
    props.author = c.university or c.program_code

    # Title page
    for _i in range(4):
        doc.add_paragraph()
    if c.university:
        p = doc.add_paragraph(c.university)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = doc.add_heading(props.title, 0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph(c.program_title)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    facts = [
        (_("Program"), c.program_code),
        (_("Reporting year"), str(c.year)),
        (_("Values counted"), c.counted),
        (_("Generated on"), c.generated),
    ]
    for label, value in facts:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Summary
    doc.add_heading(_("Summary"), 1)
    p = doc.add_paragraph()
    p.add_run(_("Overall achievement") + f": {c.achievement}").bold = True
    doc.add_paragraph(c.base)
    doc.add_paragraph(_("Mean of the KPIs' achievement, each capped at 100%"))
    statuses = [s for s in Status if c.counts.get(s.value)]
    table = _table(doc, [_("Status"), _("KPIs")], widths=[8, 3])
    for status in statuses:
        _row(table, [f"{STATUS_SYMBOLS[status]} {c.status_labels[status.value]}", c.counts[status]])
    doc.add_paragraph()
    table = _table(
        doc,
        [_("Direction"), _("Achievement"), *(c.status_labels[s.value] for s in Status)],
        widths=[4.6, 2.0, *([1.75] * len(Status))],
    )
    for d in c.directions:
        _row(table, [f"{d.number}. {d.name}", d.achievement, *(d.counts[s.value] for s in Status)])
    _picture(
        doc,
        summary_chart(c),
        _("KPIs of each direction by status in %(year)s") % {"year": c.year},
        Cm(16),
    )

    # Directions
    for d in c.directions:
        doc.add_heading(
            _("Direction %(number)s. %(name)s") % {"number": d.number, "name": d.name}, 1
        )
        doc.add_heading(_("Goals and tasks"), 2)
        for goal in d.goals:
            doc.add_paragraph(goal, style="List Bullet")
        for task in d.tasks:
            doc.add_paragraph(f"{task.number} {task.name}", style="List Number")
        doc.add_heading(_("KPIs in %(year)s") % {"year": c.year}, 2)
        doc.add_paragraph(
            _("Overall achievement") + f": {d.achievement}. {d.base}",
        )
        headers = [
            _("Code"),
            _("KPI"),
            _("Target"),
            _("Actual"),
            _("Achievement"),
            _("Status"),
            _("Responsible unit"),
        ]
        table = _table(doc, headers, widths=[1.4, 5.4, 1.7, 1.9, 1.7, 2.2, 2.7])
        for k in d.kpis:
            actual = k.actual + (f"\n{k.parts}" if k.parts else "")
            _row(
                table,
                [
                    k.code,
                    f"{k.name} ({k.unit})",
                    k.target,
                    actual,
                    k.achievement,
                    k.status_label,
                    k.owner,
                ],
                size=Pt(8),
            )
        _picture(
            doc,
            direction_chart(d, c.year),
            _("Achievement of the KPIs of direction %(number)s in %(year)s")
            % {"number": d.number, "year": c.year},
            Cm(15),
        )
        doc.add_heading(_("Explanations of the targets missed"), 2)
        if d.misses:
            for k in d.misses:
                p = doc.add_paragraph()
                p.add_run(f"{k.code} {k.name}").bold = True
                p.add_run(f" — {k.status_label}, {k.achievement}")
                doc.add_paragraph(k.explanation or _("The unit gave no explanation."))
        else:
            doc.add_paragraph(
                _("No KPI of this direction missed its target in %(year)s.") % {"year": c.year}
            )
        doc.add_heading(_("Narrative"), 2)
        if d.narrative_note:
            doc.add_paragraph(d.narrative_note)
        for kind, text in d.narrative:
            if kind == "list":
                for item in text:
                    doc.add_paragraph(item, style="List Bullet")
            else:
                doc.add_paragraph(text)

    # Alignment with the state documents
    doc.add_heading(_("Alignment with the state documents"), 1)
    doc.add_paragraph(
        _(
            "Which directions serve which provisions and target indicators of the state "
            "documents (section 4.1 of the program)."
        )
    )
    for a in c.alignment:
        doc.add_heading(f"{a.direction} — {a.document}", 3)
        for provision in a.provisions:
            doc.add_paragraph(provision, style="List Bullet")
        if a.indicators:
            p = doc.add_paragraph()
            p.add_run(_("Target indicators") + ": ").bold = True
            p.add_run("; ".join(a.indicators))

    # Expected results
    doc.add_heading(_("Progress against the expected results (section 5)"), 1)
    doc.add_paragraph(c.expected_results_note)

    # Evidence
    doc.add_heading(_("Evidence files"), 1)
    with_files = [k for k in c.kpis if k.evidence]
    if with_files:
        table = _table(doc, [_("Code"), _("Files")], widths=[2, 15])
        for k in with_files:
            _row(table, [k.code, "\n".join(k.evidence)])
    else:
        doc.add_paragraph(_("No evidence files back the values counted in this report."))

    doc.add_heading(_("Notes"), 1)
    for note in c.notes:
        doc.add_paragraph(note)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _footer(section, text: str) -> None:
    """The program, the year and the page number at the foot of every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{text} · ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    number = OxmlElement("w:t")
    number.text = "1"
    run.append(number)
    field.append(run)
    paragraph._p.append(field)


def _set_fonts(doc, language: str) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    tag = LANGUAGE_TAGS.get(language, language)
    for style in doc.styles:
        if style.type != 1:  # paragraph and character styles only
            continue
        font = getattr(style, "font", None)
        if font is None:
            continue
        font.name = FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(theme), None)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang)
        lang.set(qn("w:val"), tag)
        if style.name.startswith("Heading") or style.name == "Title":
            font.color.rgb = RGBColor(0x1A, 0x23, 0x7E)
    doc.styles["Normal"].font.size = Pt(10)


def _table(doc, headers: list[str], widths: list[float] | None = None):
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    # Repeated on every page, and read as the table's header by Word and the PDF's tags.
    tr_pr = header._tr.get_or_add_trPr()
    flag = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(flag)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(str(text)).bold = True
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)  # the grid LibreOffice lays the table out by
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Cm(width)
    table._widths = widths
    return table


def _row(table, values: list, size=None) -> None:
    from docx.shared import Cm

    row = table.add_row()
    widths = getattr(table, "_widths", None)
    for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
        lines = str(value).split("\n")
        paragraph = cell.paragraphs[0]
        for n, line in enumerate(lines):
            run = paragraph.add_run(line)
            if size:
                run.font.size = size
            if n < len(lines) - 1:
                run.add_break()
        if widths:
            cell.width = Cm(widths[index])


def _picture(doc, png: bytes, alt: str, width) -> None:
    doc.add_picture(io.BytesIO(png), width=width)
    inline = doc.inline_shapes[-1]._inline
    inline.docPr.set("descr", alt)  # the image's alternative text, kept in the tagged PDF
    inline.docPr.set("title", alt)
    doc.add_paragraph(alt, style="Caption")


# ---------------------------------------------------------------------------- PDF

PDF_FILTER = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'
CONVERT_SECONDS = 240


def check_converter() -> str:
    """LibreOffice's program, or DocumentError saying it is missing (checked before the
    Word file is built, so that nothing is done in vain)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise DocumentError(
            _("The PDF cannot be made on this server: LibreOffice is not installed.")
        )
    return soffice


def convert_to_pdf(docx: bytes) -> bytes:
    """The Word file as PDF, converted by LibreOffice headless with its own profile (so
    that conversions running at once do not share one) in a temporary folder."""
    soffice = check_converter()
    with tempfile.TemporaryDirectory(prefix="metu-report-") as folder:
        work = Path(folder)
        source = work / "report.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            PDF_FILTER,
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = {**os.environ, "HOME": str(work)}
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=CONVERT_SECONDS, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            log.error("LibreOffice did not finish converting the report in time")
            raise DocumentError(_("The PDF could not be made in time; try again later.")) from exc
        target = work / "out" / "report.pdf"
        if result.returncode != 0 or not target.exists():
            log.error(
                "LibreOffice failed to convert the report (%s): %s",
                result.returncode,
                result.stderr.decode(errors="replace")[-2000:],
            )
            raise DocumentError(_("The PDF could not be made; the Word file is unaffected."))
        return target.read_bytes()


def report_filename(program: Program, year: int, language: str, kind: str) -> str:
    return f"{program.code}-{year}-implementation-report-{language}.{kind}"
