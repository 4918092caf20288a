"""A report as figures and tables: PNGs for Dagster's metadata, one self-contained HTML page.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no display,
no global state), so reports can be built in any process or thread.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# One colour per label everywhere: LA (price-sensitive) warm, UM cool, MM neutral.
LABEL_COLOURS = {"LA": "#d6604d", "MM": "#b0b0b0", "UM": "#4393c3", "XX": "#f0e442"}
CLASSES = ("LA", "MM", "UM")


def new_figure(width: float = 9.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=90, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})  # no version stamp: same plot, same bytes
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass
class Plot:
    name: str  # a metadata key: lower case, underscores
    title: str
    caption: str
    png: bytes

    def markdown(self) -> str:
        return f"**{self.title}**\n\n![{self.title}]({data_uri(self.png)})\n\n{self.caption}"


@dataclass
class Report:
    title: str
    intro: str
    plots: list[Plot] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # title -> table
    summary: dict[str, float | int | str] = field(default_factory=dict)  # headline numbers

    def add(self, name: str, title: str, caption: str, figure: Figure) -> None:
        self.plots.append(Plot(name, title, caption, png_bytes(figure)))

    def html(self) -> str:
        parts = [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}"
            "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}"
            "td:first-child,th:first-child{text-align:left}.caption{color:#555}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
            f"<p>{html.escape(self.intro)}</p>",
        ]
        if self.summary:
            parts.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                                             for k, v in self.summary.items()) + "</table>")
        for plot in self.plots:
            parts += [f'<h2 id="{plot.name}">{html.escape(plot.title)}</h2>',
                      f'<img alt="{html.escape(plot.title)}" src="{data_uri(plot.png)}">',
                      f'<p class="caption">{html.escape(plot.caption)}</p>']
        for title, table in self.tables.items():
            parts += [f"<h2>{html.escape(title)}</h2>", table.to_html(index=False, border=0, float_format=lambda x: f"{x:.3f}")]
        parts.append("</body></html>")
        return "\n".join(parts)
