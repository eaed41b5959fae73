"""Reads for the reports: SQL aggregates over the other apps' tables, a fixed number of queries
whatever the date range (README.md, "Reports", has every definition)."""

from reports.selectors.operations import operations_report
from reports.selectors.outcomes import goal_report, goal_rows, outcome_report, outcome_rows, psychology_trends

__all__ = ["goal_report", "goal_rows", "operations_report", "outcome_report", "outcome_rows", "psychology_trends"]
