"""The report's figures, drawn with matplotlib from the analyses' tables.

Both functions return a :class:`matplotlib.figure.Figure` (shown inline in Jupyter; save it
with ``fig.savefig("out.png")``). matplotlib is an optional dependency:
``pip install zeekframe[report]``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from zeekframe.mime import REPORT_MIME_CATEGORIES, MimeCategories, normalize_mime_categories
from zeekframe.report.analyses import Frame, _lazy, counts_by_period

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_mime_types_by_quarter", "plot_nonstandard_ports"]

# Beyond this many ports or hosts the rest are summed as "other", so legends stay readable.
MAX_SERIES = 8


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the report's figures need matplotlib: pip install 'zeekframe[report]'"
        ) from exc
    return plt


def _top(frame: pl.DataFrame, key: str, weight: str = "count") -> pl.DataFrame:
    """Keep the MAX_SERIES heaviest values of ``key``; fold the rest into "other"."""
    keep = (
        frame.group_by(key)
        .agg(pl.col(weight).sum())
        .sort([weight, key], descending=[True, False])
        .head(MAX_SERIES)[key]
        .cast(pl.String)
        .to_list()
    )
    label = pl.col(key).cast(pl.String)
    return frame.with_columns(
        pl.when(label.is_in(keep)).then(label).otherwise(pl.lit("other")).alias(key)
    )


def _period_label(start: datetime, every: str) -> str:
    if every == "1q":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if every in ("1mo", "1y"):
        return start.strftime("%Y-%m" if every == "1mo" else "%Y")
    return start.strftime("%Y-%m-%d")


def _stack(ax: Axes, counts: pl.DataFrame, series: str, legend_title: str, every: str) -> None:
    """Bars per period on ``ax``, stacked by ``series`` (largest first, "other" last)."""
    plt = _pyplot()
    table = (
        counts.group_by("period", series)
        .agg(pl.col("count").sum())
        .pivot(on=series, index="period", values="count")
        .sort("period")
        .fill_null(0)
    )
    periods = table["period"].to_list()
    names = [c for c in table.columns if c != "period"]
    names.sort(key=lambda n: (n == "other", -int(table[n].sum()), n))
    cmap = plt.get_cmap("tab10")
    bottom = [0] * len(periods)
    # Bars at evenly spaced positions, labelled with their period: empty periods are simply
    # absent, and labels never crowd whatever the span.
    positions = list(range(len(periods)))
    for index, name in enumerate(names):
        heights = table[name].to_list()
        ax.bar(positions, heights, width=0.8, bottom=bottom, label=name, color=cmap(index % 10))
        bottom = [b + h for b, h in zip(bottom, heights)]
    # Autoscaling can miss the top of stacked bars; the tallest stack sets the limit.
    ax.set_ylim(0, max(bottom, default=0) * 1.05 or 1)
    labels = [_period_label(p, every) for p in periods]
    step = max(1, len(labels) // 24)
    ax.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)


def plot_nonstandard_ports(odd_ports: Frame, *, every: str = "1q") -> Figure:
    """Requests to ports other than 80/8080 per period, stacked by port.

    ``odd_ports`` is :func:`~zeekframe.report.http_nonstandard_ports`'s table.

    Example:
        >>> from zeekframe import report
        >>> fig = report.plot_nonstandard_ports(report.http_nonstandard_ports(http))
        ... # doctest: +SKIP
        >>> fig.savefig("no80_8080.png")  # doctest: +SKIP
    """
    plt = _pyplot()
    period = _period_name(every)
    counts = counts_by_period(odd_ports, every=every, by=("id_resp_p",))
    counts = _top(counts.with_columns(pl.col("id_resp_p").cast(pl.String)), "id_resp_p")
    fig: Figure
    fig, ax = plt.subplots(figsize=(11, 5.5), layout="constrained")
    _stack(ax, counts, "id_resp_p", "destination port", every)
    ax.set_title(f"HTTP requests to ports other than 80 and 8080, per {period}")
    ax.set_xlabel(f"{period} (UTC)")
    ax.set_ylabel("requests (count)")
    return fig


def plot_mime_types_by_quarter(
    hits: Frame, *, categories: MimeCategories = REPORT_MIME_CATEGORIES, top: int = 10
) -> Figure:
    """Exploit and executable responses per quarter, by type and by origin host and port.

    One panel per category with bars per quarter stacked by MIME type, then one panel with
    the ``top`` (origin host, destination port) pairs by responses, split by category (with
    hundreds of hosts, a stack per host would be unreadable). ``hits`` is
    :func:`~zeekframe.report.mime_type_hits`'s table, made with the same ``categories``.

    Example:
        >>> from zeekframe import report
        >>> fig = report.plot_mime_types_by_quarter(report.mime_type_hits(http))
        ... # doctest: +SKIP
    """
    plt = _pyplot()
    frame = _lazy(hits).collect()
    mapping = dict(normalize_mime_categories(categories))
    present = set(frame["mime_category"].cast(pl.String).drop_nulls().to_list())
    names = [name for name in mapping if name in present]
    fig: Figure
    fig, axes = plt.subplots(
        len(names) + 1,
        1,
        figsize=(11, 3.6 * (len(names) + 1)),
        layout="constrained",
        squeeze=False,
    )
    for ax, category in zip(axes[:-1, 0], names):
        part = frame.filter(pl.col("mime_category").cast(pl.String) == category)
        # A response counts once for each of its types that is in the category.
        types = (
            part.explode("resp_mime_types")
            .rename({"resp_mime_types": "mime_type"})
            .filter(pl.col("mime_type").is_in(mapping[category]))
        )
        counts = _top(counts_by_period(types, every="1q", by=("mime_type",)), "mime_type")
        _stack(ax, counts, "mime_type", "MIME type", "1q")
        ax.set_title(f"{category} responses per quarter, by MIME type")
        ax.set_ylabel("responses (count)")
        ax.set_xlabel("quarter (UTC)")
    ax = axes[-1, 0]
    pairs = (
        frame.with_columns(
            (pl.col("id_orig_h") + ":" + pl.col("id_resp_p").cast(pl.String)).alias("host_port"),
            pl.col("mime_category").cast(pl.String),
        )
        .group_by("host_port", "mime_category")
        .len()
        .pivot(on="mime_category", index="host_port", values="len")
        .fill_null(0)
    )
    pairs = pairs.with_columns(pl.sum_horizontal(names).alias("total"))
    pairs = pairs.sort(["total", "host_port"], descending=[True, False]).head(top).reverse()
    left = [0] * pairs.height
    cmap = plt.get_cmap("tab10")
    for index, category in enumerate(names):
        widths = pairs[category].to_list()
        ax.barh(
            pairs["host_port"].to_list(), widths, left=left, label=category, color=cmap(index % 10)
        )
        left = [a + b for a, b in zip(left, widths)]
    ax.set_title(f"top {top} origin hosts and destination ports by these responses")
    ax.set_xlabel("responses (count)")
    ax.set_ylabel("origin host : destination port")
    ax.legend(title="category", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Exploit and executable MIME types")
    return fig


def _period_name(every: str) -> str:
    return {"1q": "quarter", "1mo": "month", "1w": "week", "1d": "day", "1y": "year"}.get(
        every, every
    )
