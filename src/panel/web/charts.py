"""Small charts drawn on the server as inline SVG: no script, nothing fetched, a few KB each.
They scale to their box (a viewBox and width 100%), carry a <title> for screen readers and
each figure as text, so the numbers are read, not guessed from a bar's length.

Values are exact (Decimal or int); only the geometry is rounded. What a figure says is given
already worded (`shown`), so money is written as the page writes it."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH = 360  # the drawing's own units; the SVG scales to its box
INK = "#374151"
MUTED = "#6b7280"
BAR = "#2563eb"
NEGATIVE = "#b42318"
TRACK = "#e5e7eb"
# Distinct at a glance and for the usual colour blindness, in the order statuses are listed.
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#06b6d4", "#84cc16", "#6b7280")


@dataclass(frozen=True)
class Point:
    label: str  # what the bar is (a day), shown under the first and last bars
    value: Decimal | int
    shown: str  # the value as read


def _text(value: str) -> str:
    return escape(value, quote=True)


def _svg(height: int, title: str, body: list[str], chart_id: str) -> str:
    title_id = f"{chart_id}-title"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_text(chart_id)}" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{_text(title_id)}" font-family="system-ui, sans-serif">'
        f'<title id="{_text(title_id)}">{_text(title)}</title>' + "".join(body) + "</svg>"
    )


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def day_bars(points: Sequence[Point], *, title: str, chart_id: str, empty: str) -> str:
    """One vertical bar per point, from a zero line (below it for a negative value), the
    largest figure and the first and last labels written out."""
    top, plot, bottom = 16, 90, 18
    height = top + plot + bottom
    body: list[str] = []
    values = [Decimal(point.value) for point in points]
    high = max([value for value in values if value > 0], default=Decimal(0))
    low = -min([value for value in values if value < 0], default=Decimal(0))
    span = high + low
    if not points or span == 0:
        body.append(
            f'<line x1="0" y1="{top + plot}" x2="{WIDTH}" y2="{top + plot}" stroke="{TRACK}"/>'
        )
        body.append(
            f'<text x="{WIDTH / 2}" y="{top + plot / 2}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}" class="empty">{_text(empty)}</text>'
        )
        return _svg(height, title, body, chart_id)
    zero = top + plot * float(high / span)
    step = WIDTH / len(points)
    gap = min(2.0, step / 4)
    for index, (point, value) in enumerate(zip(points, values, strict=True)):
        size = plot * float(abs(value) / span)
        y = zero - size if value > 0 else zero
        colour = NEGATIVE if value < 0 else BAR
        body.append(
            f'<rect class="bar" x="{_n(index * step + gap / 2)}" y="{_n(y)}" '
            f'width="{_n(step - gap)}" height="{_n(size)}" fill="{colour}" '
            f'data-value="{_text(str(point.value))}">'
            f"<title>{_text(point.label)}: {_text(point.shown)}</title></rect>"
        )
    body.append(f'<line x1="0" y1="{_n(zero)}" x2="{WIDTH}" y2="{_n(zero)}" stroke="{MUTED}"/>')
    biggest = max(range(len(points)), key=lambda i: abs(values[i]))
    body.append(
        f'<text x="0" y="11" font-size="11" fill="{INK}" class="peak">'
        f"{_text(points[biggest].label)}: {_text(points[biggest].shown)}</text>"
    )
    baseline = height - 4
    body.append(
        f'<text x="0" y="{baseline}" font-size="10" fill="{MUTED}">{_text(points[0].label)}</text>'
    )
    body.append(
        f'<text x="{WIDTH}" y="{baseline}" font-size="10" fill="{MUTED}" text-anchor="end">'
        f"{_text(points[-1].label)}</text>"
    )
    return _svg(height, title, body, chart_id)


def stacked_bar(parts: Sequence[Point], *, title: str, chart_id: str, empty: str) -> str:
    """One horizontal bar split by share (parts of zero take no room), and a legend listing
    every part with its figure."""
    bar_y, bar_h, row = 4, 22, 18
    total = sum((Decimal(part.value) for part in parts if part.value > 0), Decimal(0))
    rows = (len(parts) + 1) // 2
    height = bar_y + bar_h + 10 + max(rows, 1) * row
    body = [f'<rect x="0" y="{bar_y}" width="{WIDTH}" height="{bar_h}" fill="{TRACK}"/>']
    if total == 0:
        body.append(
            f'<text x="{WIDTH / 2}" y="{bar_y + 15}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}" class="empty">{_text(empty)}</text>'
        )
    x = 0.0
    for index, part in enumerate(parts):
        colour = PALETTE[index % len(PALETTE)]
        if total and part.value > 0:
            size = WIDTH * float(Decimal(part.value) / total)
            body.append(
                f'<rect class="part" x="{_n(x)}" y="{bar_y}" width="{_n(size)}" '
                f'height="{bar_h}" fill="{colour}" data-value="{_text(str(part.value))}">'
                f"<title>{_text(part.label)}: {_text(part.shown)}</title></rect>"
            )
            x += size
        # The legend: two columns, each part with its swatch and figure.
        left = (index % 2) * WIDTH / 2
        y = bar_y + bar_h + 10 + (index // 2) * row
        body.append(f'<rect x="{_n(left)}" y="{y}" width="10" height="10" fill="{colour}"/>')
        body.append(
            f'<text x="{_n(left + 14)}" y="{y + 9}" font-size="11" fill="{INK}" class="legend">'
            f"{_text(part.label)}: {_text(part.shown)}</text>"
        )
    return _svg(height, title, body, chart_id)


def gauge(
    value: Decimal | None,
    alert: Decimal,
    *,
    title: str,
    chart_id: str,
    shown: str,
    alert_shown: str,
    low: bool,
) -> str:
    """A balance against its alert level: a bar on a track reaching twice the alert level (or
    the balance, if more), a mark at the alert level, and both figures written."""
    height = 40
    reach = max(alert * 2, value or Decimal(0), Decimal(1))
    body = [f'<rect x="0" y="4" width="{WIDTH}" height="14" rx="3" fill="{TRACK}"/>']
    if value is not None and value > 0:
        size = WIDTH * float(value / reach)
        colour = NEGATIVE if low else BAR
        body.append(
            f'<rect class="level" x="0" y="4" width="{_n(size)}" height="14" rx="3" '
            f'fill="{colour}" data-value="{_text(str(value))}"><title>{_text(shown)}</title></rect>'
        )
    mark = WIDTH * float(alert / reach)
    body.append(
        f'<line class="alert" x1="{_n(mark)}" y1="1" x2="{_n(mark)}" y2="21" stroke="{INK}" '
        f'stroke-width="2"><title>{_text(alert_shown)}</title></line>'
    )
    body.append(
        f'<text x="0" y="34" font-size="11" fill="{NEGATIVE if low else INK}" class="figure">'
        f"{_text(shown)}</text>"
    )
    body.append(
        f'<text x="{WIDTH}" y="34" font-size="11" fill="{MUTED}" text-anchor="end">'
        f"{_text(alert_shown)}</text>"
    )
    return _svg(height, title, body, chart_id)
