"""The report as one HTML document (templates per part in ``templates/``): what the
browser shows and, printed by Chromium, the PDF."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monev.engine.closing import STATUS_LABELS
from monev.lke.score import points_text
from reports.build import KIND_WORDS
from reports.charts import report_charts
from reports.model import CATEGORIES, LABELS, UNMET, Report, delta_text
from reports.periods import tanggal

TEMPLATES = Path(__file__).parent / "templates"


def label(category: str, closed: bool = False) -> str:
    """A category's words; missing evidence of a closed plan is *tidak tercapai*."""
    return UNMET if closed and category == "belum_ada" else LABELS[category]


def backlog_label(closed: bool = False) -> str:
    """The summary's backlog row: part of the missing (or, once closed, unmet) evidence."""
    return f"Tunggakan (termasuk dalam {label('belum_ada', closed).lower()})"


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True, auto_reload=False)
    env.globals.update(tanggal=tanggal, label=label, backlog_label=backlog_label,
                       categories=CATEGORIES,
                       kind_words=KIND_WORDS, delta=delta_text, points=points_text,
                       plan_status=lambda s: STATUS_LABELS.get(s, s))
    return env


def render_html(report: Report, charts: bool = True) -> str:
    """The whole report; ``charts=False`` leaves the charts out (the benchmark floor)."""
    drawn = report_charts(report) if charts else []
    return environment().get_template("report.html.j2").render(r=report, charts=drawn)
