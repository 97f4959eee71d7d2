"""Load a program from its fixture (fixtures/*.json) into the database.

Running it again changes nothing. Where the database differs from the fixture —
because the planning office edited a target in the application — the loader reports
the difference and keeps the database, unless asked to overwrite. It never touches
actual values, unit assignments or reporting years that already exist.

The loader reads what the database holds of the program once per model, compares it
with the fixture in memory, and writes only what is missing or reset, a model at a time
in bulk. So the number of queries grows with the batches, not the rows: about a dozen
when nothing changed, about 130 for a program of 800 KPIs loaded afresh on SQLite (whose
limit on parameters makes the batches small). KPIs, targets and reporting years get the
history rows a save would give them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from directions.models import (
    Alignment,
    Direction,
    Goal,
    Program,
    StateDocument,
    TargetIndicator,
    Task,
)
from kpis.measures import measure_for
from kpis.models import Kpi, ReportingYear, Target
from kpis.reasons import Reason, recorded
from kpis.signals import data_changed

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "metu_2023_2029.json"

# Rows per INSERT or UPDATE; the database's own limit on parameters lowers it (SQLite).
BATCH_SIZE = 1000

# Parents before children: a child's foreign key is read from its parent once that is in.
WRITE_ORDER = (
    Program,
    StateDocument,
    Direction,
    Goal,
    Task,
    Kpi,
    Target,
    Alignment,
    TargetIndicator,
    ReportingYear,
)
TRACKED = (Kpi, Target, ReportingYear)  # models with django-simple-history


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
        loader = _Loader(overwrite=overwrite)
        loader.compare(data)
        if translations:
            _Translator(loader).apply(translations)
        loader.write()
    return loader.report


class _Loader:
    """Compares the fixture with the database in memory (`compare`, then `_Translator`),
    then writes the differences (`write`). Nothing is written before the whole fixture
    has been read, so a broken fixture is refused before any row changes."""

    def __init__(self, *, overwrite: bool) -> None:
        self.overwrite = overwrite
        self.report = LoadReport()
        self.program: Program | None = None
        self.years: list[int] = []
        # model → natural key → its row in the database, or the new object standing in
        # for it; a key names a row the way the fixture does (direction 2, KPI 1.1.3).
        self.found: dict[type[models.Model], dict] = defaultdict(dict)
        self.new: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.dirty: dict[models.Model, set[str]] = {}  # rows in the database → columns
        self.reset: set[models.Model] = set()  # dirty rows reset to the fixture
        self.linked: set[int] = set()  # target indicators that have their directions
        self.links: list[tuple[TargetIndicator, Direction]] = []  # links to add

    # --- Reading and comparing -------------------------------------------------------

    def compare(self, data: dict) -> None:
        program = self.load_program_row(data["program"])
        if program.pk is not None:
            self.read_existing(program)
        documents = {d["position"]: self.document(program, d) for d in data["state_documents"]}
        directions = {d["number"]: self.direction(program, d) for d in data["directions"]}
        for item in data.get("alignment", []):
            self.alignment(directions[item["direction"]], documents[item["document"]], item)
        for item in data.get("target_indicators", []):
            self.indicator(
                documents[item["document"]], [directions[n] for n in item["directions"]], item
            )
        self.reporting_years(program)

    def read_existing(self, program: Program) -> None:
        """Every row of the program, one query per model, filed under its natural key."""
        found = self.found
        keys: dict[type[models.Model], dict[int, object]] = defaultdict(dict)  # pk → key

        def keep(obj: models.Model, key) -> None:
            found[type(obj)][key] = obj
            keys[type(obj)][obj.pk] = key

        for document in StateDocument.objects.filter(program=program):
            keep(document, document.position)
        for direction in Direction.objects.filter(program=program):
            keep(direction, direction.number)
        for goal in Goal.objects.filter(direction__program=program):
            keep(goal, (keys[Direction][goal.direction_id], goal.number))
        for task in Task.objects.filter(goal__direction__program=program):
            keep(task, (keys[Goal][task.goal_id], task.number))
        # KPIs and targets are what --overwrite resets: they are locked as they are read,
        # so a target changed in the application meanwhile waits rather than being
        # overwritten, or recorded in the history with values its row no longer has.
        for kpi in Kpi.objects.filter(program=program).select_for_update():
            keep(kpi, (keys[Task][kpi.task_id], kpi.code))
        targets = Target.objects.filter(kpi__program=program).select_for_update(of=("self",))
        for target in targets:
            keep(target, (keys[Kpi][target.kpi_id], target.year))
        for alignment in Alignment.objects.filter(direction__program=program):
            direction, document = alignment.direction_id, alignment.document_id
            keep(alignment, (keys[Direction][direction], keys[StateDocument][document]))
        for indicator in TargetIndicator.objects.filter(document__program=program):
            keep(indicator, (keys[StateDocument][indicator.document_id], indicator.number))
        self.linked = set(
            TargetIndicator.directions.through.objects.filter(
                targetindicator__document__program=program
            ).values_list("targetindicator_id", flat=True)
        )
        for year in ReportingYear.objects.filter(program=program):
            keep(year, year.year)

    def sync(
        self, model: type[models.Model], key, identity: dict, values: dict, label: str
    ) -> models.Model:
        """The row under `key`, created from `identity` and `values` when missing; where
        it differs from `values`, reported, or reset when overwriting."""
        obj = self.found[model].get(key)
        if obj is None:
            obj = model(**identity, **values)
            self.found[model][key] = obj
            self.new[model].append(obj)
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
        self.mark(obj, differences, reset=True)
        self.report.updated[model._meta.model_name] += 1
        return obj

    def mark(self, obj: models.Model, names: list[str], *, reset: bool = False) -> None:
        """Columns of a row in the database to write. A new object needs no marking: it
        is inserted with whatever it holds by then."""
        if obj.pk is None:
            return
        columns = self.dirty.setdefault(obj, set())
        for name in names:
            columns.add(name)
            # A translated field set while loading in Kazakh wrote its Kazakh column too.
            localized = f"{name}_{translation.get_language()}"
            try:
                obj._meta.get_field(localized)
            except FieldDoesNotExist:
                continue
            columns.add(localized)
        if reset:
            self.reset.add(obj)

    def load_program_row(self, data: dict) -> Program:
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
        code = data["code"]
        self.found[Program] = {p.code: p for p in Program.objects.filter(code=code)}
        self.program = self.sync(Program, code, {"code": code}, values, code)
        return self.program

    def document(self, program: Program, data: dict) -> StateDocument:
        position = data["position"]
        return self.sync(
            StateDocument,
            position,
            {"program": program, "position": position},
            {"name": data["name"]},
            f"document {position}",
        )

    def direction(self, program: Program, data: dict) -> Direction:
        number = data["number"]
        direction = self.sync(
            Direction,
            number,
            {"program": program, "number": number},
            {"name": data["name"], "heading_in_table": data.get("heading_in_table", "")},
            f"direction {number}",
        )
        goal_data = data["goal"]
        goal_key = (number, number)  # a direction has one goal, numbered as it is
        goal = self.sync(
            Goal,
            goal_key,
            {"direction": direction, "number": number},
            {"name": goal_data["name"], "name_in_table": goal_data.get("name_in_table", "")},
            f"goal {number}",
        )
        for position, task_data in enumerate(goal_data["tasks"], start=1):
            expected = f"{number}.{position}"
            if task_data["number"] != expected:
                raise FixtureError(f"Task {task_data['number']} stands where {expected} belongs.")
            self.task(goal, goal_key, position, task_data)
        return direction

    def task(self, goal: Goal, goal_key: tuple, position: int, data: dict) -> Task:
        task_key = (goal_key, data["number"])
        task = self.sync(
            Task,
            task_key,
            {"goal": goal, "number": data["number"]},
            {
                "position": position,
                "name": data["name"],
                "name_in_table": data.get("name_in_table", ""),
            },
            f"task {data['number']}",
        )
        for kpi_position, kpi_data in enumerate(data["kpis"], start=1):
            self.kpi(task, task_key, kpi_position, kpi_data)
        return task

    def kpi(self, task: Task, task_key: tuple, position: int, data: dict) -> Kpi:
        code = f"{task.number}.{position}"
        kpi_key = (task_key, code)
        kpi = self.sync(
            Kpi,
            kpi_key,
            # Kpi.save() takes the program from the task; a bulk insert calls no save().
            {"task": task, "code": code, "program": self.program},
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
                value, value2 = measure_for(data["unit"]).parse_target(raw)
            except ValueError as exc:
                raise FixtureError(f"KPI {code}, {year}: cannot read {raw!r}.") from exc
            self.sync(
                Target,
                (kpi_key, int(year)),
                {"kpi": kpi, "year": int(year)},
                {"value": value, "value2": value2, "raw_text": raw},
                f"target {code} {year}",
            )
        return kpi

    def alignment(self, direction: Direction, document: StateDocument, data: dict) -> None:
        self.sync(
            Alignment,
            (direction.number, document.position),
            {"direction": direction, "document": document},
            {"text": "\n".join(data["items"])},
            f"alignment {direction.number}/{document.position}",
        )

    def indicator(self, document: StateDocument, directions: list[Direction], data: dict) -> None:
        indicator = self.sync(
            TargetIndicator,
            (document.position, data["number"]),
            {"document": document, "number": data["number"]},
            {"name": data["name"]},
            f"indicator {data['number']}",
        )
        # An indicator's directions are set once, while it has none: after that they
        # are the planning office's to change.
        if indicator.pk in self.linked or any(i is indicator for i, _d in self.links):
            return
        added: list[Direction] = []
        for direction in directions:
            if not any(direction is d for d in added):
                added.append(direction)
                self.links.append((indicator, direction))

    def reporting_years(self, program: Program) -> None:
        today = timezone.localdate()
        for year in self.years:
            is_open = opens_for_entry_on_load(year, today)
            identity = {"program": program, "year": year, "is_open": is_open}
            self.sync(ReportingYear, year, identity, {}, f"year {year}")

    # --- Writing ---------------------------------------------------------------------

    def write(self) -> None:
        wrote = False
        for model in WRITE_ORDER:
            if self.new[model]:
                wrote = True
                self.insert(model, self.new[model])
            groups: dict[tuple[str, ...], list[models.Model]] = defaultdict(list)
            for obj, columns in self.dirty.items():
                if type(obj) is model:
                    groups[tuple(sorted(columns))].append(obj)
            for columns, objs in groups.items():
                wrote = True
                self.update(model, objs, list(columns))
        if self.links:
            wrote = True
            through = TargetIndicator.directions.through
            rows = [
                through(targetindicator_id=indicator.pk, direction_id=direction.pk)
                for indicator, direction in self.links
            ]
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        if wrote:
            # Bulk writes send no post_save: move the dashboards' data version on.
            data_changed.send(sender=Program)

    def insert(self, model: type[models.Model], objs: list[models.Model]) -> None:
        if model in TRACKED:
            # Each new row's history holds what the row holds, with no reason, as
            # save() would record it.
            bulk_create_with_history(objs, model, batch_size=BATCH_SIZE)
        else:
            model.objects.bulk_create(objs, batch_size=BATCH_SIZE)

    def update(
        self, model: type[models.Model], objs: list[models.Model], columns: list[str]
    ) -> None:
        reset = [o for o in objs if o in self.reset] if model in TRACKED else []
        if reset:
            # Each object was read (and locked) in this transaction and changed only in
            # `columns`, so the history row copied from it holds exactly what its row
            # holds after the update; tests/test_loader.py compares them.
            bulk_update_with_history(
                reset,
                model,
                columns,
                batch_size=BATCH_SIZE,
                default_change_reason=recorded(Reason.RELOADED),
            )
        # The rest: rows of models without history, and rows whose only change is a
        # translation, which the history does not keep.
        rest = [o for o in objs if o not in self.reset] if reset else objs
        if rest:
            model.objects.bulk_update(rest, columns, batch_size=BATCH_SIZE)


def opens_for_entry_on_load(year: int, today: date) -> bool:
    """A year's values are reported once it has ended, so a newly loaded program opens
    the past years for entry; the planning office opens the others when it wants."""
    return year < today.year


class _Translator:
    """Writes the Russian and English texts of a loaded program, with the loader's rule:
    fill what is empty, keep what the planning office edited unless told to overwrite.
    It works on the loader's objects; the loader writes what it changed."""

    LANGUAGES = ("ru", "en")

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.program = loader.program
        self.overwrite = loader.overwrite
        self.report = loader.report

    def apply(self, data: dict) -> None:
        found = self.loader.found
        self.fields(self.program, data.get("program", {}), "program")
        directions = found[Direction]
        for number, texts in data.get("directions", {}).items():
            self.fields(directions[int(number)], texts, f"direction {number}")
        goals = {key[0]: goal for key, goal in found[Goal].items()}
        for number, texts in data.get("goals", {}).items():
            self.fields(goals[int(number)], texts, f"goal {number}")
        tasks = {task.number: task for task in found[Task].values()}
        for number, texts in data.get("tasks", {}).items():
            self.fields(tasks[number], texts, f"task {number}")
        kpis = {kpi.code: kpi for kpi in found[Kpi].values()}
        for code, texts in data.get("kpis", {}).items():
            self.fields(kpis[code], texts, f"KPI {code}")
        documents = found[StateDocument]
        for position, texts in data.get("state_documents", {}).items():
            self.fields(documents[int(position)], texts, f"document {position}")
        alignments = {f"{d}/{p}": alignment for (d, p), alignment in found[Alignment].items()}
        for key, texts in data.get("alignment", {}).items():
            items = texts.get("items", [])
            joined = {lang: "\n".join(i[lang] for i in items) for lang in self.LANGUAGES}
            self.fields(alignments[key], {"text": joined}, f"alignment {key}")
        indicators = {number: i for (_position, number), i in found[TargetIndicator].items()}
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
            self.loader.mark(obj, changed)
            counter = self.report.created if filled else self.report.updated
            counter[f"{obj._meta.model_name} translation"] += 1
