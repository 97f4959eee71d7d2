"""Signals other apps listen to."""

from django.dispatch import Signal

# Sent after values were written in bulk, or the program loaded or reset in bulk
# (kpis.loading), which sends no post_save per row (reports.cache moves the
# dashboards' data version on).
values_bulk_saved = Signal()
