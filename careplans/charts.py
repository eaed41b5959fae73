"""Outcome trend charts, laid out in Python and drawn as inline SVG by the template (no chart
library, no CDN). Pure functions over already-loaded rows: no queries here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from careplans.scoring import meaningful_change

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 34
COLOURS = {"NRS": "#b4451f", "PEG": "#1f5fb4", "ODI": "#2a7a3b"}


@dataclass
class Point:
    x: float
    y: float
    at: datetime
    value: Decimal
    change: str  # "improved" / "worsened" / "" against the series' baseline (see baseline_index)
    is_baseline: bool = False


@dataclass
class Series:
    code: str
    colour: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class Marker:
    x: float
    label: str
    at: datetime


@dataclass
class Chart:
    title: str
    y_max: int
    series: list[Series]
    markers: list[Marker]
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM

    @property
    def has_data(self) -> bool:
        return any(s.points for s in self.series)

    @property
    def point_count(self) -> int:
        return sum(len(s.points) for s in self.series)


def baseline_index(times: list[datetime], procedure_times: list[datetime]) -> int:
    """Which answer (index into `times`, oldest first) later answers are compared with: the last
    one before the most recent procedure, since change is judged against the state that
    procedure was meant to change; the first answer when there is no procedure or no answer
    before it."""
    if procedure_times:
        latest = max(procedure_times)
        before = [i for i, at in enumerate(times) if at < latest]
        if before:
            return before[-1]
    return 0


def build_chart(*, title: str, codes: list[str], y_max: int, responses, procedures, zone) -> Chart:
    """`responses`: QuestionnaireResponse rows (any order); `procedures`: (datetime, label) pairs."""
    rows = sorted((r for r in responses if r.questionnaire in codes), key=lambda r: (r.answered_at, r.pk))
    times = [r.answered_at for r in rows] + [at for at, _ in procedures]
    chart = Chart(title=title, y_max=y_max, series=[], markers=[])
    if not rows:
        return chart
    start, end = min(times), max(times)
    if end - start < timedelta(days=1):
        start, end = start - timedelta(days=1), end + timedelta(days=1)
    span = (end - start).total_seconds()
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() / span * plot_w

    def y_of(value: Decimal) -> float:
        return TOP + plot_h - float(value) / y_max * plot_h

    procedure_times = [at for at, _ in procedures]
    for code in codes:
        series_rows = [r for r in rows if r.questionnaire == code]
        base = baseline_index([r.answered_at for r in series_rows], procedure_times)
        points: list[Point] = []
        for index, r in enumerate(series_rows):
            # Answers up to the baseline are history: they carry no marker.
            change = meaningful_change(code, baseline=series_rows[base].score, current=r.score) if index > base else ""
            point = Point(x=x_of(r.answered_at), y=y_of(r.score), at=r.answered_at, value=r.score, change=change, is_baseline=index == base)
            points.append(point)
        if points:
            chart.series.append(Series(code=code, colour=COLOURS.get(code, "#444"), points=points))
    chart.markers = [Marker(x=x_of(at), label=label, at=at) for at, label in procedures if start <= at <= end]
    step = max(1, y_max // 5)
    chart.y_ticks = [(y_of(Decimal(v)), v) for v in range(0, y_max + 1, step)]
    chart.x_ticks = [
        (x_of(start + (end - start) * i / 4), f"{(start + (end - start) * i / 4).astimezone(zone):%d %b %y}") for i in range(5)
    ]
    return chart
