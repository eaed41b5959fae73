"""The demo clinic's share of reports: the operational rollup recomputed once the other apps'
seeds have written their appointments (run last by seed_demo; idempotent)."""

from reports.rollup import rollup_rebuild


def seed(*, out=print) -> None:
    out(f"reports rollup: {rollup_rebuild()} rows")
