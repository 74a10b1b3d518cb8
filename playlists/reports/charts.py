"""The report's bar charts: laid out once here, drawn as SVG on the page and PNG in Word.

The page draws `BarChart` with its own template (text stays text: a screen reader reads it, a
search finds it, it prints sharp); the Word report gets the same chart as a PNG drawn by
matplotlib (`png`), made the same way every time so a closed report's bytes do not change.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from playlists.core.text import vn_decimal

# The page's SVG geometry, in SVG units (the chart scales to the page's width).
LABEL_WIDTH = 260
BAR_AREA = 360
VALUE_WIDTH = 90
ROW_HEIGHT = 26
TOP = 8


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, and where it sits."""

    label: str
    value: float
    shown: str  # the value as staff read it ("12,5")
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: a title, bars, and the size of the drawing."""

    title: str
    unit: str
    bars: tuple[Bar, ...]

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_AREA + VALUE_WIDTH

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(1, len(self.bars))

    @property
    def bar_x(self) -> int:
        return LABEL_WIDTH

    @property
    def description(self) -> str:
        """Say the whole chart in one sentence, for a screen reader."""
        parts = "; ".join(f"{bar.label}: {bar.shown} {self.unit}" for bar in self.bars)
        return f"{self.title}. {parts}." if parts else f"{self.title}: chưa có số liệu."


def bar_chart(title: str, unit: str, items: Sequence[tuple[str, float]]) -> BarChart:
    """Lay out `items` (label, value) as bars scaled to the largest value."""
    top = max((value for _label, value in items), default=0.0)
    bars = tuple(
        Bar(
            label=label,
            value=value,
            shown=vn_decimal(value),
            y=TOP + index * ROW_HEIGHT,
            width=(value / top * BAR_AREA) if top > 0 else 0.0,
        )
        for index, (label, value) in enumerate(items)
    )
    return BarChart(title=title, unit=unit, bars=bars)


def shorten(text: str, limit: int = 38) -> str:
    """Cut a long label at a word, with an ellipsis, so the chart stays readable."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-") + "…"


def png(chart: BarChart, *, width_in: float = 6.3) -> bytes:
    """Draw the chart as a PNG for documents: black and grey, so it prints on any printer."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    # DejaVu Sans ships inside matplotlib: every Vietnamese mark, on any machine, offline.
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9,
                                "svg.hashsalt": "loa", "path.simplify": False}):  # fmt: skip
        rows = max(1, len(chart.bars))
        figure, axes = pyplot.subplots(figsize=(width_in, 0.9 + 0.32 * rows), dpi=150)
        try:
            labels = [shorten(bar.label) for bar in chart.bars][::-1]
            values = [bar.value for bar in chart.bars][::-1]
            drawn = axes.barh(labels, values, color="#555555", edgecolor="black", linewidth=0.5)
            axes.bar_label(drawn, labels=[bar.shown for bar in chart.bars][::-1], padding=3)
            axes.set_xlabel(chart.unit)
            axes.set_title(chart.title, fontsize=10, fontweight="bold")
            axes.spines[["top", "right"]].set_visible(False)
            axes.margins(x=0.15)
            figure.tight_layout()
            buffer = io.BytesIO()
            # No software name or date in the file: the same chart is the same bytes.
            figure.savefig(buffer, format="png", metadata={"Software": None})
        finally:
            pyplot.close(figure)
    return buffer.getvalue()
