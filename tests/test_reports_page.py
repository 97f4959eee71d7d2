"""The Reports page: what its forms offer first, and how frozen files are named."""

import re
from datetime import UTC, datetime

from django.urls import reverse

from reports.models import FrozenReport


def selected_years(page: str) -> list[str]:
    return re.findall(r'<option value="(\d{4})" selected>', page)


def test_both_year_pickers_open_on_the_year_being_reported(planner, program):
    from kpis.models import ReportingYear

    ReportingYear.objects.filter(program=program).update(is_open=False)
    ReportingYear.objects.filter(program=program, year=2025).update(is_open=True)
    page = planner.get(reverse("frozen_reports")).content.decode()
    assert selected_years(page) == ["2025", "2025"]


def test_a_frozen_files_name_tells_the_universitys_time(program):
    report = FrozenReport(program=program, year=2025)
    report.created_at = datetime(2026, 12, 5, 20, 30, tzinfo=UTC)  # 01:30 next day in Almaty
    assert report.filename.endswith("-report-frozen-20261206-0130.xlsx")
