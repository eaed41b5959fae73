"""Bar charts for the reports, laid out in Python and drawn as inline SVG by the template, in the
style of the workspace's outcome charts (careplans/charts.py): no chart library, no CDN, a table
of the same values beside each chart. Pure functions over figures already computed."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 640
LABEL_WIDTH = 190
ROW = 22
TOP = 8
VALUE_GAP = 6


@dataclass
class Bar:
    label: str
    text: str  # the value as shown ("12 %", "<5", "—")
    y: float
    width: float  # 0 when there is no value


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    benchmark_x: float | None = None
    benchmark_label: str = ""
    ticks: list[tuple[float, str]] = field(default_factory=list)
    width: int = WIDTH
    left: int = LABEL_WIDTH
    plot_width: int = WIDTH - LABEL_WIDTH - 70

    @property
    def height(self) -> int:
        return TOP + ROW * len(self.bars) + 24

    @property
    def axis_y(self) -> int:
        return TOP + ROW * len(self.bars)

    @property
    def has_data(self) -> bool:
        return bool(self.bars)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def bar_chart(
    title: str,
    rows: list[tuple[str, float | None, str]],
    *,
    max_value: float = 1.0,
    benchmark: float | None = None,
    benchmark_label: str = "",
    tick_format=percent,
) -> BarChart:
    """rows: (label, value, shown text). Values above max_value are drawn at the edge."""
    chart = BarChart(title=title, bars=[], benchmark_label=benchmark_label)
    scale = chart.plot_width / max_value if max_value else 0
    for index, (label, value, text) in enumerate(rows):
        width = 0.0 if value is None else min(max(value, 0), max_value) * scale
        chart.bars.append(Bar(label=label[:28], text=text, y=TOP + index * ROW, width=width))
    if benchmark is not None:
        chart.benchmark_x = chart.left + min(benchmark, max_value) * scale
    chart.ticks = [(chart.left + f * chart.plot_width, tick_format(max_value * f)) for f in (0, 0.25, 0.5, 0.75, 1)]
    return chart
