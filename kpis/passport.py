"""A KPI's passport and baseline: what the KPI counts, how its value is worked out, where
its data come from and how they are checked, and its value before the program.

The planning office writes them (`update_passport`, from the passport page and the
administration); everyone signed in reads them on the KPI page, in the JSON and CSV
exports and in the Ministry workbook. The baseline's numbers are stored as targets are
and read, checked and shown by the KPI's measure. Baselines come from the planning
office: `load_program` never sets one (see `load_baselines` for the demo's few)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directions.models import Program
from kpis import roles
from kpis.models import PASSPORT_TEXTS, RANKING_FIELDS, Kpi, passport_columns
from kpis.reasons import Reason, describe, recorded

BASELINE_NUMBERS = ("baseline_year", "baseline_value", "baseline_value2")
# Every field the passport page and update_passport write, texts in each language.
PASSPORT_FIELDS: tuple[str, ...] = (
    *passport_columns(),
    "frequency",
    *RANKING_FIELDS,
    *BASELINE_NUMBERS,
)
_TEXT_FIELDS = frozenset([*passport_columns(), "frequency", *RANKING_FIELDS])
BASELINES_FILE = settings.BASE_DIR / "fixtures" / "baselines_section6.json"


def latest_change(kpi: Kpi) -> int | None:
    """The KPI's latest history record: what a page saw when it was opened."""
    return kpi.history.order_by("-history_id").values_list("history_id", flat=True).first()


def _same(name: str, old: object, new: object) -> bool:
    if name in _TEXT_FIELDS:  # an empty translation is NULL or ""
        return str(old or "").strip() == str(new or "").strip()
    return old == new


@transaction.atomic
def update_passport(
    *,
    user,
    kpi: Kpi,
    changes: Mapping[str, object],
    reason: str,
    seen_history: int | None = None,
) -> list[str]:
    """Write `changes` (fields of PASSPORT_FIELDS by name) to the KPI with the planning
    office's reason, which the KPI's history keeps beside the change.

    Refuses, with a ValidationError naming each field, everything the KPI's rules
    refuse (a share over 100, a baseline without its year, a year inside the program)
    and a missing reason, all at once; and a save over a change recorded after
    `seen_history` (the latest record when the page was opened). Returns the names of
    the fields that changed; when none did, nothing is saved."""
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))
    unknown = set(changes) - set(PASSPORT_FIELDS)
    if unknown:
        raise ValueError(f"Not passport fields: {', '.join(sorted(unknown))}")
    locked = Kpi.objects.select_for_update().get(pk=kpi.pk)
    if seen_history is not None and latest_change(locked) != seen_history:
        raise ValidationError(
            _(
                "Someone else changed this KPI after you opened the page. Your changes were "
                "not saved; reload the page to see theirs."
            ),
            code="conflict",
        )
    changed = [
        name for name, value in changes.items() if not _same(name, getattr(locked, name), value)
    ]
    for name in changed:
        value = changes[name]
        setattr(locked, name, (value or "").strip() if name in _TEXT_FIELDS else value)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if changed and not reason:
        errors["reason"] = [_("Give a reason: the KPI's history will show it.")]
    try:
        locked.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not changed:
        return []
    locked._history_user = user
    locked._change_reason = recorded(Reason.PASSPORT, reason)
    locked.save()
    return changed


def stored(kpi: Kpi) -> dict[str, object]:
    """The KPI's passport as it is: to tell later what a form changed."""
    return {name: getattr(kpi, name) for name in PASSPORT_FIELDS}


def differences(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    """The passport fields of `after` whose values differ from `before`'s."""
    return {
        name: value
        for name, value in after.items()
        if name in before and not _same(name, before[name], value)
    }


# --- Reading -------------------------------------------------------------------------


def form_initial(kpi: Kpi) -> dict[str, object]:
    """What the passport page's inputs hold for the stored passport: the texts in each
    language, the baseline's value as the measure writes it for the reader to edit."""
    initial: dict[str, object] = {name: getattr(kpi, name) or "" for name in _TEXT_FIELDS}
    initial["baseline_year"] = kpi.baseline_year
    initial["value"], initial["value2"] = kpi.measure.inputs(
        kpi.baseline_value, kpi.baseline_value2
    )
    initial["seen"] = latest_change(kpi)
    return initial


@dataclass(frozen=True)
class PassportChange:
    """One recorded change of a KPI's passport: who, when, why and what."""

    when: datetime
    who: str
    reason: str
    fields: list[str]


def passport_history(kpi: Kpi) -> list[PassportChange]:
    """The changes of the KPI's passport and baseline, newest first."""
    records = list(
        kpi.history.order_by("history_date", "history_id").select_related("history_user")
    )
    changes = []
    previous = None
    for record in records:
        if previous is not None:
            fields = [
                name
                for name in PASSPORT_FIELDS
                if not _same(name, getattr(previous, name), getattr(record, name))
            ]
            if fields:
                user = record.history_user
                changes.append(
                    PassportChange(
                        when=record.history_date,
                        who=(user.get_full_name() or user.username) if user else "—",
                        reason=describe(record.history_change_reason),
                        fields=_field_labels(fields),
                    )
                )
        previous = record
    return changes[::-1]


def _field_labels(names: list[str]) -> list[str]:
    """Changed columns as people name them: "definition (ru)", "baseline"."""
    labels = []
    for name in names:
        base, _sep, language = name.rpartition("_")
        if base in PASSPORT_TEXTS:
            label = f"{Kpi._meta.get_field(base).verbose_name} ({language})"
        else:
            label = str(Kpi._meta.get_field(name).verbose_name)
        if label not in labels:
            labels.append(label)
    return labels


# --- The demo's baselines -------------------------------------------------------------


@dataclass(frozen=True)
class LoadedBaselines:
    set: list[str]  # KPI codes given the file's baseline
    kept: list[str]  # KPI codes that already had a baseline, left as they were


def load_baselines(*, user, program: Program, path: Path = BASELINES_FILE) -> LoadedBaselines:
    """The baselines of `path` (each quoting the sentence of the program it comes from)
    for the KPIs of `program` that have none, through update_passport in `user`'s name;
    nothing for another program. A baseline the planning office set is never replaced."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    loaded = LoadedBaselines([], [])
    if data["program"] != program.code:
        return loaded
    kpis = {kpi.code: kpi for kpi in Kpi.objects.filter(program=program, code__in=data["kpis"])}
    for code, item in data["kpis"].items():
        kpi = kpis[code]
        if kpi.baseline is not None:
            loaded.kept.append(code)
            continue
        value, value2 = kpi.measure.parse_target(item["value"])
        texts = {
            f"baseline_{field}_{language}": text
            for field in ("comment", "source")
            for language, text in item[field].items()
        }
        changes = {
            "baseline_year": item["year"],
            "baseline_value": value,
            "baseline_value2": value2,
            **texts,
        }
        update_passport(user=user, kpi=kpi, changes=changes, reason=data["reason"])
        loaded.set.append(code)
    return loaded
