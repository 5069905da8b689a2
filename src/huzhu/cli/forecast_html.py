"""report.html: Plotly charts with plotly.js inline, so the page opens from disk offline."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from huzhu.domain.money import format_yuan
from huzhu.forecast import Forecast
from huzhu.forecast.calibrate import Fit

NOTICE = "A mutual aid plan is not insurance: payouts are not guaranteed. This is a forecast."


def _charts(f: Forecast) -> go.Figure:
    rows = f.rows
    x = [r.date.isoformat() for r in rows]
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=(
            "Share per member per round (yuan): median and 5-95% band",
            "Members (median and 5-95% band)",
            "Operator's backstop per round (yuan, median)",
            "Probability that the annual cap binds",
        ),
    )
    band = "rgba(31,119,180,0.2)"
    for row, lo, mid, hi in (
        (1, [r.share_p5 / 100 for r in rows], [r.share_p50 / 100 for r in rows],
         [r.share_p95 / 100 for r in rows]),
        (2, [r.members_p5 for r in rows], [r.members for r in rows],
         [r.members_p95 for r in rows]),
    ):  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=hi, line={"width": 0}, showlegend=False), row=row, col=1)
        fig.add_trace(
            go.Scatter(x=x, y=lo, fill="tonexty", fillcolor=band, line={"width": 0}, name="5-95%"),
            row=row,
            col=1,
        )
        fig.add_trace(go.Scatter(x=x, y=mid, name="median"), row=row, col=1)
    fig.add_trace(go.Bar(x=x, y=[r.backstop / 100 for r in rows], name="backstop"), row=3, col=1)
    binds = [r.cap_binds_probability for r in rows]
    fig.add_trace(go.Scatter(x=x, y=binds, name="cap binds"), row=4, col=1)
    fig.update_layout(height=1100, showlegend=False, margin={"t": 40, "l": 60, "r": 20})
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(range=[0, 1], row=4, col=1)
    return fig


def _table(head: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _assumptions(f: Forecast) -> list[tuple[str, str, str]]:
    a = f.assumptions
    values = {
        "growth.scale": f"{a.growth.scale:.4g}",
        "growth.steady_join_rate": f"{a.growth.steady_join_rate:.4g}",
        "growth.competitor_share": f"{a.growth.competitor_share:.4g}",
        "growth.stop_after_round": str(a.growth.stop_after_round),
        "exits.churn_per_year": f"{a.exits.churn_per_year:.4g}",
        "exits.price_sensitivity": f"{a.exits.price_sensitivity:.4g}",
        "exits.healthy_leave_factor": f"{a.exits.healthy_leave_factor:.4g}",
        "incidence.multiplier": f"{a.incidence.multiplier:.4g}",
        "incidence.select_factor": f"{a.incidence.select_factor:.4g}",
        "incidence.wear_off_per_year": f"{a.incidence.wear_off_per_year:.4g}",
        "incidence.claim_lag_rounds": str(a.incidence.claim_lag_rounds),
        "rules.fee_bp": str(a.rules.fee_bp),
        "rules.per_case_cap": "none" if a.rules.per_case_cap is None
        else format_yuan(a.rules.per_case_cap),
        "rules.per_year_cap": "none" if a.rules.per_year_cap is None
        else format_yuan(a.rules.per_year_cap),
        "rules.activation_threshold": f"{a.rules.activation_threshold:,}",
        "initial_members": f"{a.initial_members:,}",
    }  # fmt: skip
    return [(k, v, a.sources.get(k, "")) for k, v in values.items()]


def write_report(f: Forecast, fit: Fit | None, path: Path) -> None:
    a = f.assumptions
    chart = _charts(f).to_html(full_html=False, include_plotlyjs=True, div_id="forecast-charts")
    warnings = _table(
        ("code", "from", "on", "message"),
        [(w.code, w.source, w.on.isoformat(), w.message) for w in f.warnings],
    )
    rounds = _table(
        ("date", "members", "cases", "share p5", "share p50", "share p95", "backstop", "cap binds"),
        [
            (r.date.isoformat(), f"{r.members:,}", f"{r.cases:,}", format_yuan(r.share_p5),
             format_yuan(r.share_p50), format_yuan(r.share_p95), format_yuan(r.backstop),
             f"{r.cap_binds_probability:.0%}")
            for r in f.rows
        ],
    )  # fmt: skip
    fitted = f"<p>{escape(fit.describe())}</p>" if fit else "<p>No fit: default assumptions.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Forecast: {escape(a.plan_id)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px}}
.notice{{background:#fff3cd;padding:.5em}}</style></head><body>
<h1>Forecast: {escape(a.plan_id)}</h1>
<p class="notice">{escape(NOTICE)}</p>
<p>From {a.start.isoformat()}, {len(f.rows)} rounds, {f.paths} Monte Carlo paths, seed {f.seed};
scenario: <strong id="scenario">{escape(a.scenario)}</strong>.</p>
<h2>Warnings</h2>{warnings if f.warnings else "<p id='no-warnings'>None fired.</p>"}
<h2>Charts</h2>{chart}
<h2>Fit to the plan's history</h2>{fitted}
<h2>Assumptions</h2>{_table(("field", "value", "source or reason"), _assumptions(f))}
<h2>Rounds</h2>{rounds}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
