"""Charts drawn on the server as SVG: no JavaScript, readable by screen readers, and each one sits beside
a table holding the same numbers (the table is the accessible version; the chart is a picture of it).

A chart is `role="img"` with a <title> and a <desc> that says where its table is; each bar carries its
own <title> with its label and value, so hovering or a screen reader's element list gives the figure.
Colours meet 3:1 contrast against white, and every bar is labelled in text, so nothing relies on colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR_COLOUR = "#1d70b8"
ROW_HEIGHT = 28
LABEL_WIDTH = 220
BAR_WIDTH = 360
VALUE_WIDTH = 80


def _number(value: int | Decimal) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def bar_chart(*, chart_id: str, title: str, bars: Sequence[tuple[str, int | Decimal | None]]) -> SafeString:
    """A horizontal bar chart. A bar whose value is None (not known, or suppressed) is drawn empty and
    labelled with a dash."""
    known = [value for _label, value in bars if value is not None]
    peak = max(known, default=0) or 1
    height = ROW_HEIGHT * max(len(bars), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="council-chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(_("The same figures are in the table beside this chart."))}'
        "</desc>",
    ]
    for index, (label, value) in enumerate(bars):
        y = 4 + index * ROW_HEIGHT
        length = 0 if value is None else round(BAR_WIDTH * float(value) / float(peak))
        shown = "-" if value is None else _number(value)
        parts.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" font-size="14" fill="#0b0c0c">'
            f"{escape(label[:32])}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{max(length, 1)}" height="{ROW_HEIGHT - 8}" '
            f'fill="{BAR_COLOUR if value is not None else "#ffffff"}" stroke="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 18}" font-size="14" fill="#0b0c0c">{escape(shown)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
