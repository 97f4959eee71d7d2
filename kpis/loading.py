"""Load a program from its fixture (fixtures/*.json) into the database.

Running it again changes nothing. Where the database differs from the fixture —
because the planning office edited a target in the application — the loader reports
the difference and keeps the database, unless asked to overwrite. It never touches
actual values, unit assignments or reporting years that already exist."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation

from directions.models import (
    Alignment,
    Direction,
    Goal,
    Program,
    StateDocument,
    TargetIndicator,
    Task,
)
from kpis.models import Kpi, ReportingYear, Target
from kpis.reasons import Reason, recorded
from kpis.values import parse_target_text

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "metu_2023_2029.json"


class FixtureError(ValueError):
    """The fixture does not describe a consistent program."""


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    differing: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


def read_fixture(path: Path | str = DEFAULT_FIXTURE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def translations_path(fixture: Path | str) -> Path:
    """The Russian and English texts live beside the fixture: <name>.translations.json."""
    fixture = Path(fixture)
    return fixture.with_name(fixture.stem + ".translations.json")


def read_translations(fixture: Path | str = DEFAULT_FIXTURE) -> dict | None:
    path = translations_path(fixture)
    return read_fixture(path) if path.exists() else None


@transaction.atomic
def load_program(
    data: dict, *, overwrite: bool = False, translations: dict | None = None
) -> LoadReport:
    # The fixture is the Kazakh text of the program: write it as Kazakh whatever the
    # language of whoever runs the command.
    with translation.override("kk"):
        report = _load(data, overwrite=overwrite)
        if translations:
            _Translator(data["program"]["code"], overwrite, report).apply(translations)
    return report


def _load(data: dict, *, overwrite: bool) -> LoadReport:
    loader = _Loader(overwrite=overwrite)
    program = loader.program(data["program"])
    documents = {d["position"]: loader.document(program, d) for d in data["state_documents"]}
    directions = {d["number"]: loader.direction(program, d) for d in data["directions"]}
    for item in data.get("alignment", []):
        loader.alignment(directions[item["direction"]], documents[item["document"]], item)
    for item in data.get("target_indicators", []):
        loader.indicator(
            documents[item["document"]], [directions[n] for n in item["directions"]], item
        )
    loader.reporting_years(program)
    return loader.report


class _Loader:
    def __init__(self, *, overwrite: bool) -> None:
        self.overwrite = overwrite
        self.report = LoadReport()

    def sync(
        self, model: type[models.Model], lookup: dict, values: dict, label: str
    ) -> models.Model:
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.save()
            self.report.created[model._meta.model_name] += 1
            return obj
        differences = [name for name, value in values.items() if getattr(obj, name) != value]
        if not differences:
            return obj
        if not self.overwrite:
            self.report.differing.append(f"{label}: {', '.join(differences)}")
            return obj
        for name in differences:
            setattr(obj, name, values[name])
        obj._change_reason = recorded(Reason.RELOADED)
        obj.save()
        self.report.updated[model._meta.model_name] += 1
        return obj

    def program(self, data: dict) -> Program:
        values = {
            "title": data["title"],
            "start_year": data["start_year"],
            "end_year": data["end_year"],
            "developer": data.get("developer", ""),
            "basis": "\n".join(data.get("basis", [])),
            "indicators_summary": data.get("indicators_summary", ""),
            "funding": data.get("funding", ""),
            "source": data.get("source", ""),
        }
        self.years = list(range(data["start_year"], data["end_year"] + 1))
        return self.sync(Program, {"code": data["code"]}, values, data["code"])

    def document(self, program: Program, data: dict) -> StateDocument:
        return self.sync(
            StateDocument,
            {"program": program, "position": data["position"]},
            {"name": data["name"]},
            f"document {data['position']}",
        )

    def direction(self, program: Program, data: dict) -> Direction:
        direction = self.sync(
            Direction,
            {"program": program, "number": data["number"]},
            {"name": data["name"], "heading_in_table": data.get("heading_in_table", "")},
            f"direction {data['number']}",
        )
        goal_data = data["goal"]
        goal = self.sync(
            Goal,
            {"direction": direction, "number": data["number"]},
            {"name": goal_data["name"], "name_in_table": goal_data.get("name_in_table", "")},
            f"goal {data['number']}",
        )
        for position, task_data in enumerate(goal_data["tasks"], start=1):
            self.task(goal, position, task_data)
        return direction

    def task(self, goal: Goal, position: int, data: dict) -> Task:
        expected = f"{goal.direction.number}.{position}"
        if data["number"] != expected:
            raise FixtureError(f"Task {data['number']} stands where {expected} belongs.")
        task = self.sync(
            Task,
            {"goal": goal, "number": data["number"]},
            {
                "position": position,
                "name": data["name"],
                "name_in_table": data.get("name_in_table", ""),
            },
            f"task {data['number']}",
        )
        for kpi_position, kpi_data in enumerate(data["kpis"], start=1):
            self.kpi(task, kpi_position, kpi_data)
        return task

    def kpi(self, task: Task, position: int, data: dict) -> Kpi:
        code = f"{task.number}.{position}"
        kpi = self.sync(
            Kpi,
            {"task": task, "code": code},
            {
                "position": position,
                "name": data["name"],
                "unit": data["unit"],
                "sense": data["sense"],
                "notes": data.get("notes", ""),
            },
            f"KPI {code}",
        )
        years = sorted(int(y) for y in data["targets"])
        if years != self.years:
            raise FixtureError(f"KPI {code} has targets for {years}, not for {self.years}.")
        for year, raw in data["targets"].items():
            try:
                value, value2 = parse_target_text(raw, data["unit"])
            except ValueError as exc:
                raise FixtureError(f"KPI {code}, {year}: cannot read {raw!r}.") from exc
            self.sync(
                Target,
                {"kpi": kpi, "year": int(year)},
                {"value": value, "value2": value2, "raw_text": raw},
                f"target {code} {year}",
            )
        return kpi

    def alignment(self, direction: Direction, document: StateDocument, data: dict) -> None:
        self.sync(
            Alignment,
            {"direction": direction, "document": document},
            {"text": "\n".join(data["items"])},
            f"alignment {direction.number}/{document.position}",
        )

    def indicator(self, document: StateDocument, directions: list[Direction], data: dict) -> None:
        indicator = self.sync(
            TargetIndicator,
            {"document": document, "number": data["number"]},
            {"name": data["name"]},
            f"indicator {data['number']}",
        )
        if not indicator.directions.exists():
            indicator.directions.set(directions)

    def reporting_years(self, program: Program) -> None:
        today = timezone.localdate()
        for year in self.years:
            _obj, created = ReportingYear.objects.get_or_create(
                program=program,
                year=year,
                defaults={"is_open": opens_for_entry_on_load(year, today)},
            )
            if created:
                self.report.created["reportingyear"] += 1


def opens_for_entry_on_load(year: int, today: date) -> bool:
    """A year's values are reported once it has ended, so a newly loaded program opens
    the past years for entry; the planning office opens the others when it wants."""
    return year < today.year


class _Translator:
    """Writes the Russian and English texts of a loaded program, with the loader's rule:
    fill what is empty, keep what the planning office edited unless told to overwrite."""

    LANGUAGES = ("ru", "en")

    def __init__(self, program_code: str, overwrite: bool, report: LoadReport) -> None:
        self.program = Program.objects.get(code=program_code)
        self.overwrite = overwrite
        self.report = report

    def apply(self, data: dict) -> None:
        program = self.program
        self.fields(program, data.get("program", {}), "program")
        directions = {d.number: d for d in program.directions.all()}
        for number, texts in data.get("directions", {}).items():
            self.fields(directions[int(number)], texts, f"direction {number}")
        goals = {
            g.direction.number: g
            for g in Goal.objects.filter(direction__program=program).select_related("direction")
        }
        for number, texts in data.get("goals", {}).items():
            self.fields(goals[int(number)], texts, f"goal {number}")
        tasks = {t.number: t for t in Task.objects.filter(goal__direction__program=program)}
        for number, texts in data.get("tasks", {}).items():
            self.fields(tasks[number], texts, f"task {number}")
        kpis = {k.code: k for k in Kpi.objects.filter(program=program)}
        for code, texts in data.get("kpis", {}).items():
            self.fields(kpis[code], texts, f"KPI {code}")
        documents = {d.position: d for d in program.state_documents.all()}
        for position, texts in data.get("state_documents", {}).items():
            self.fields(documents[int(position)], texts, f"document {position}")
        alignments = {
            f"{a.direction.number}/{a.document.position}": a
            for a in Alignment.objects.filter(direction__program=program).select_related(
                "direction", "document"
            )
        }
        for key, texts in data.get("alignment", {}).items():
            items = texts.get("items", [])
            joined = {lang: "\n".join(i[lang] for i in items) for lang in self.LANGUAGES}
            self.fields(alignments[key], {"text": joined}, f"alignment {key}")
        indicators = {
            i.number: i for i in TargetIndicator.objects.filter(document__program=program)
        }
        for number, texts in data.get("target_indicators", {}).items():
            self.fields(indicators[int(number)], texts, f"indicator {number}")

    def fields(self, obj, texts: dict, label: str) -> None:
        changed, filled = [], False
        for field_name, by_language in texts.items():
            if isinstance(by_language, list):  # the program's basis: one line per document
                by_language = {
                    lang: "\n".join(item[lang] for item in by_language) for lang in self.LANGUAGES
                }
            for lang in self.LANGUAGES:
                name = f"{field_name}_{lang}"
                wanted = by_language.get(lang)
                current = getattr(obj, name, None)
                if not wanted or current == wanted:
                    continue
                if current and not self.overwrite:
                    self.report.differing.append(f"{label}: {name}")
                    continue
                filled = filled or not current
                setattr(obj, name, wanted)
                changed.append(name)
        if changed:
            obj._change_reason = recorded(Reason.RELOADED)
            obj.save(update_fields=changed)
            counter = self.report.created if filled else self.report.updated
            counter[f"{obj._meta.model_name} translation"] += 1
