"""Knowing the data: the data dictionary's measured facts, the EDA and business-view reports.

Plain Python, no Dagster: `defs/reports/` wraps the report builders in assets, and the
dictionary is a script (`python -m retail_assets.reports.data_dictionary`).
"""
