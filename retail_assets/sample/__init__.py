"""Synthetic weekly files in the dunnhumby format: good weeks (`weeks`) and broken ones (`faulty`)."""

from retail_assets.sample.faulty import BAD_FIXTURE_KINDS, BAD_ROW_COUNTS, write_bad_fixture
from retail_assets.sample.weeks import COLUMNS, SEG_1, SEG_2, add_weeks, week_monday, write_sample_weeks

__all__ = ["BAD_FIXTURE_KINDS", "BAD_ROW_COUNTS", "COLUMNS", "SEG_1", "SEG_2", "add_weeks", "week_monday", "write_bad_fixture",
           "write_sample_weeks"]
