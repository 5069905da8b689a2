"""Prometheus metrics of a huzhu process (served by the API at /metrics).

Defined once per process on prometheus-client's default registry, so any layer may count without
importing the API. Labels never carry personal data or ids: routes are templates
(`/v1/memberships/{membership_id}`), outcomes are fixed words.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_SECONDS = Histogram(
    "huzhu_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOINS = Counter("huzhu_joins_total", "Joins answered, by the path that decided them.", ["path"])
JOIN_BATCH = Histogram(
    "huzhu_join_batch_size",
    "Joins written by one statement on the quick path.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
WEBHOOK_DELIVERIES = Counter(
    "huzhu_webhook_deliveries_total",
    "Webhook attempts, by outcome (delivered, refused: a non-2xx answer, unreachable).",
    ["outcome"],
)
WEBHOOK_BACKLOG = Gauge(
    "huzhu_webhook_backlog", "Webhook events due and not yet delivered (at the last scrape)."
)
GATEWAY_CALLBACKS = Counter(
    "huzhu_gateway_callbacks_total", "Payment gateway callbacks, by outcome.", ["outcome"]
)
ROUND_SECONDS = Histogram(
    "huzhu_round_duration_seconds",
    "Time to run one apportionment round.",
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800),
)
ROUND_MEMBERS_PER_SECOND = Gauge(
    "huzhu_round_members_per_second", "Members charged per second by the last round run here."
)


def webhook_outcome(status: int | None) -> str:
    if status is None:
        return "unreachable"
    return "delivered" if 200 <= status < 300 else "refused"
