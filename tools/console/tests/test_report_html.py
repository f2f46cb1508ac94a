"""The report page: self-contained, every key number tagged with its JSON path and value, data escaped."""

from __future__ import annotations

import datetime as dt
import re

from guichet_console.report_figures import assemble
from guichet_console.report_html import figures_on, render
from guichet_console.report_svg import bar_list, column_chart, line_chart

from .test_report_figures import figures

NOW = dt.datetime(2021, 11, 30, 12, 0, tzinfo=dt.UTC)
HOSTILE = '<script>alert("x")</script>&'


def at_path(document: dict, path: str):
    for key in path.split("."):
        document = document[key]
    return document


def test_every_tagged_number_is_the_json_value_at_its_path() -> None:
    report = assemble(figures(), "a", NOW)
    found = figures_on(render(report))
    assert {"claims.received", "budget.available_cents", "rejections_by_reason.HEADCOUNT_TOO_HIGH"} <= set(found)
    assert found["delays_seconds.submission_to_decision.p50"] == ""  # no decision yet: JSON null
    for path, value in found.items():
        assert value == ("" if at_path(report, path) is None else str(at_path(report, path))), path


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = render(assemble(figures(), None, NOW))
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "@import" not in page and "url(" not in page


def test_data_is_escaped_in_the_page_and_in_every_chart() -> None:
    report = assemble(figures(), HOSTILE, NOW)
    report["rejections_by_reason"] = {HOSTILE: 3}
    report["claims_per_day"] = [{"date": HOSTILE, "claims": 1}]
    page = render(report)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    for chart in (
        bar_list([(HOSTILE, 1)], HOSTILE),
        column_chart([(HOSTILE, 1)], HOSTILE),
        line_chart([(HOSTILE, 1)], HOSTILE, start=2),
    ):
        assert "<script>" not in chart and "&lt;script&gt;" in chart


def test_charts_draw_one_mark_per_point_and_say_when_there_is_nothing() -> None:
    assert column_chart([("2021-03-02", 4), ("2021-03-03", 0)], "t").count("<rect") == 2
    assert bar_list([("A", 2), ("B", 1)], "t").count("<rect") == 2
    assert line_chart([("d1", 8), ("d2", 5)], "t", start=10).count("<circle") == 2
    for empty in (column_chart([], "t"), bar_list([], "t"), line_chart([], "t", start=1)):
        assert "Aucune donnée" in empty


def test_bars_are_as_long_as_their_value_relative_to_the_largest() -> None:
    widths = [
        float(w) for w in re.findall(r'<rect x="300" y="[\d.]+" width="([\d.]+)"', bar_list([("A", 4), ("B", 1)], "t"))
    ]
    assert widths[0] == 4 * widths[1]


def test_control_and_bidi_characters_are_written_out_in_the_page_and_its_charts() -> None:
    # A programme named on the command line or a code read from a database: a bidi override would reverse what
    # the reader sees, a NUL or an ESC has nothing to do in a page.
    hostile = "\u202eexe.txt\x00\x1b[31m\u2028"
    report = assemble(figures(), hostile, NOW)
    report["rejections_by_reason"] = {hostile: 3}
    report["refusals_by_code"] = {hostile: 2}
    report["claims_per_day"] = [{"date": hostile, "claims": 1}]
    report["notes"] = [hostile]
    page = render(report)
    assert not [char for char in ("\u202e", "\x00", "\x1b", "\u2028") if char in page]
    assert "\\u202eexe.txt\\x00\\x1b[31m\\u2028" in page
