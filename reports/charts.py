"""The report's charts (matplotlib, SVG): capaian per area (or per satker), the monthly
trend, on time vs late. Readable in grey print: every series has its own hatch and
shade, bars carry their value, no meaning rests on colour alone."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Any

from reports.model import LABELS, Counts, Report

# (category, label, grey-safe face colour, hatch)
STACK = (("tepat_waktu", LABELS["tepat_waktu"], "#1f4e79", ""),
         ("terlambat", LABELS["terlambat"], "#7fa7cf", "///"),
         ("terkirim", "Menunggu verifikasi", "#d9d9d9", "..."),
         ("ditolak", LABELS["ditolak"], "#a6a6a6", "xxx"),
         ("belum_ada", LABELS["belum_ada"], "#ffffff", ""))


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str  # an <svg> element, ready to embed


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9,
                                "font.family": "DejaVu Sans", "svg.hashsalt": "monev"})
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _pct(c: Counts) -> float:
    return c.percent or 0.0


def capaian_bars(labels: list[str], counts: list[Counts], title: str) -> Chart:
    """Horizontal bars of capaian %, the value written at the end of each bar."""
    plt = _pyplot()
    names = ["\n".join(textwrap.wrap(lb, 38, break_long_words=False)) for lb in labels]
    lines = sum(max(1, n.count("\n") + 1) for n in names)  # whole names, wrapped
    fig, ax = plt.subplots(figsize=(7.2, 0.2 * max(4, lines) + 0.15 * len(labels) + 0.6))
    values = [_pct(c) for c in counts]
    ax.barh(range(len(values)), values, color="#1f4e79", edgecolor="black", linewidth=0.6)
    for i, (v, c) in enumerate(zip(values, counts, strict=True)):
        ax.text(min(v, 100) + 1, i, f"{c.percent_text()} ({c.verified}/{c.judged})",
                va="center", fontsize=8)
    ax.set_yticks(range(len(values)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("capaian (% checkpoint jatuh tempo yang terverifikasi)")
    ax.grid(axis="x", color="#bbbbbb", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return Chart(title, _svg(fig))


def trend_line(trend: list[tuple[str, Counts]]) -> Chart:
    """Capaian month by month (checkpoints due in each month)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 2.3))
    xs = list(range(len(trend)))
    ys = [c.percent for _, c in trend]
    points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], color="black", marker="o",
                linewidth=1.4, markerfacecolor="white")
        for x, y in points:
            ax.annotate(f"{y:.0f}%", (x, y), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8)
    ax.set_xticks(xs, [label for label, _ in trend], rotation=0 if len(xs) < 8 else 45)
    ax.set_ylim(0, 112)
    ax.set_ylabel("capaian (%)")
    ax.grid(axis="y", color="#bbbbbb", linewidth=0.5, linestyle=":")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return Chart("Tren capaian per bulan", _svg(fig))


def on_time_stack(trend: list[tuple[str, Counts]]) -> Chart:
    """Per month: checkpoints verified on time, verified late, waiting, rejected, missing."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    xs = list(range(len(trend)))
    bottom = [0] * len(trend)
    for cat, label, colour, hatch in STACK:
        values = [getattr(c, cat) for _, c in trend]
        ax.bar(xs, values, bottom=bottom, color=colour, hatch=hatch, edgecolor="black",
               linewidth=0.6, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in zip(xs, bottom, strict=True):
        ax.text(x, total, str(total), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [label for label, _ in trend], rotation=0 if len(xs) < 8 else 45)
    ax.set_ylabel("checkpoint jatuh tempo")
    ax.set_ylim(0, max(bottom, default=0) * 1.15 + 1)
    ax.legend(ncol=3, fontsize=7, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.18 if len(xs) < 8 else -0.3))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return Chart("Keadaan checkpoint per bulan", _svg(fig))


def report_charts(report: Report) -> list[Chart]:
    """The charts of a report, in reading order."""
    charts: list[Chart] = []
    if report.rollup:
        top = report.rollup[:30]
        charts.append(capaian_bars([r.satker for r in top], [r.counts for r in top],
                                   "Capaian per satker"))
    else:
        for part in report.plans:
            if part.areas:
                charts.append(capaian_bars([a.name for a in part.areas],
                                           [a.counts for a in part.areas],
                                           f"Capaian per area — {part.label}"))
    if report.trend:
        charts.append(trend_line(report.trend))
        charts.append(on_time_stack(report.trend))
    return charts
