"""Path converters that admit only what a URL may hold, so anything else is a 404
before a view or the database sees it (Django's `int` admits an id no database column
holds; `str` admits a NUL, which PostgreSQL refuses in a query).

Registered on import: every urls module that uses them imports this one."""

from __future__ import annotations

from django.urls import register_converter

# A KPI's code: direction.task.position, e.g. 1.3.2 (kpis.models.Kpi checks it too).
KPI_CODE_PATTERN = r"[0-9]{1,4}(?:\.[0-9]{1,4}){0,4}"


class IdConverter:
    """A primary key: at most 18 digits, which every integer column holds."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class YearConverter(IdConverter):
    regex = "[0-9]{4}"


class KpiCodeConverter:
    regex = KPI_CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class OpenCloseConverter(KpiCodeConverter):
    """What happens to a year: it is opened or closed for entry, nothing else."""

    regex = "open|close"


register_converter(IdConverter, "id")
register_converter(YearConverter, "year")
register_converter(KpiCodeConverter, "kpi_code")
register_converter(OpenCloseConverter, "open_close")
