"""The server-drawn SVG charts: well-formed, bars in proportion, empty data drawn as such,
every figure written as text, no script anywhere, small."""

import xml.etree.ElementTree as ET
from decimal import Decimal

from panel.web import charts
from panel.web.charts import Point

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def _parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    assert "<script" not in svg.lower()
    assert "javascript:" not in svg.lower()
    assert " on" not in svg.replace(" one", "")  # no event handler attributes
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def _by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [node for node in root.iter() if node.get("class") == name]


def test_day_bars_are_proportional_with_their_figures_as_text() -> None:
    points = [Point("01/12", 4, "4"), Point("02/12", 0, "0"), Point("03/12", 2, "2")]
    root = _parsed(charts.day_bars(points, title="Orders", chart_id="c", empty="none"))
    bars = _by_class(root, "bar")
    assert [bar.get("data-value") for bar in bars] == ["4", "0", "2"]
    heights = [float(bar.get("height", "nan")) for bar in bars]
    assert heights[1] == 0
    assert abs(heights[0] - 2 * heights[2]) < 0.2
    # Each bar says what it is; the peak and the first and last days are written out.
    titles = ["".join(bar.itertext()) for bar in bars]
    assert titles == ["01/12: 4", "02/12: 0", "03/12: 2"]
    assert {"01/12: 4", "01/12", "03/12"} <= set(_texts(root))
    # The bars share the width, none outside the drawing.
    width = float(root.get("viewBox", "").split()[2])
    assert all(float(b.get("x", "0")) + float(b.get("width", "0")) <= width + 0.1 for b in bars)


def test_a_loss_is_drawn_below_the_zero_line() -> None:
    points = [Point("a", D("3"), "Rp3"), Point("b", D("-1"), "-Rp1")]
    root = _parsed(charts.day_bars(points, title="Margin", chart_id="m", empty="none"))
    gain, loss = _by_class(root, "bar")
    assert float(gain.get("y", "0")) + float(gain.get("height", "0")) == float(loss.get("y", "0"))
    assert abs(float(gain.get("height", "0")) - 3 * float(loss.get("height", "0"))) < 0.2
    assert gain.get("fill") != loss.get("fill")


def test_empty_data_is_drawn_as_empty() -> None:
    for points in ([], [Point("a", 0, "0"), Point("b", 0, "0")]):
        root = _parsed(charts.day_bars(points, title="Orders", chart_id="e", empty="No data"))
        assert _by_class(root, "bar") == []
        assert "No data" in _texts(root)
    root = _parsed(
        charts.stacked_bar([Point("Pending", 0, "0")], title="S", chart_id="s", empty="No data")
    )
    assert _by_class(root, "part") == []
    assert "No data" in _texts(root)
    assert "Pending: 0" in _texts(root)  # every status still listed with its figure


def test_the_status_bar_splits_by_share_and_lists_every_part() -> None:
    parts = [Point("Completed", 6, "6"), Point("Failed", 0, "0"), Point("Pending", 2, "2")]
    root = _parsed(charts.stacked_bar(parts, title="Statuses", chart_id="s", empty="none"))
    shown = _by_class(root, "part")
    assert [part.get("data-value") for part in shown] == ["6", "2"]
    widths = [float(part.get("width", "0")) for part in shown]
    assert abs(widths[0] - 3 * widths[1]) < 0.2
    assert abs(sum(widths) - charts.WIDTH) < 0.2
    assert [t for t in _texts(root) if ":" in t] == ["Completed: 6", "Failed: 0", "Pending: 2"]


def test_the_gauge_shows_a_balance_against_its_alert_level() -> None:
    def drawn(value: Decimal | None, alert: Decimal, low: bool) -> ET.Element:
        svg = charts.gauge(
            value,
            alert,
            title="Primary",
            chart_id="g",
            shown=f"${value}",
            alert_shown=f"alert below ${alert}",
            low=low,
        )
        return _parsed(svg)

    healthy = drawn(D("15"), D("10"), False)
    [level] = _by_class(healthy, "level")
    [mark] = _by_class(healthy, "alert")
    # The track reaches twice the alert level: 15 of 20, the mark half way.
    assert abs(float(level.get("width", "0")) - charts.WIDTH * 0.75) < 0.2
    assert abs(float(mark.get("x1", "0")) - charts.WIDTH / 2) < 0.2
    assert {"$15", "alert below $10"} <= set(_texts(healthy))

    low = drawn(D("2"), D("10"), True)
    [low_level] = _by_class(low, "level")
    assert low_level.get("fill") != level.get("fill")

    rich = drawn(D("1000"), D("10"), False)
    [full] = _by_class(rich, "level")
    assert abs(float(full.get("width", "0")) - charts.WIDTH) < 0.2  # never past the track

    unknown = drawn(None, D("10"), False)
    assert _by_class(unknown, "level") == []


def test_text_is_escaped_and_charts_stay_small() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    points = [Point(hostile, day, hostile) for day in range(30)]
    svg = charts.day_bars(points, title=hostile, chart_id="x", empty=hostile)
    root = _parsed(svg)
    assert hostile in "".join(root.itertext())
    assert len(svg.encode()) < 12_000
    plain = [Point(f"{day:02}/12", day, str(day)) for day in range(30)]
    assert len(charts.day_bars(plain, title="Orders", chart_id="o", empty="").encode()) < 6_000
