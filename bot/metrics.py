"""The numbers an operator graphs, exported in Prometheus' text format (`/metrics`).

Counters and histograms live in this process; gauges that describe the database (outbox
depth, inbox lag) are read from it when scraped, so every worker reports the same truth.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_IN = Counter(
    "doithoai_updates_received", "Updates stored in the inbox", ["channel"], registry=REGISTRY
)
UPDATES_QUARANTINED = Counter(
    "doithoai_updates_quarantined", "Updates that could not be parsed and were kept aside",
    ["channel"], registry=REGISTRY,
)  # fmt: skip
OPINIONS_FILED = Counter(
    "doithoai_opinions_filed", "Opinions filed by residents", ["channel"], registry=REGISTRY
)
CLASSIFIED = Counter(
    "doithoai_classifications", "Screening decisions by kind and resulting state",
    ["kind", "state"], registry=REGISTRY,
)  # fmt: skip
SENT = Counter("doithoai_messages_sent", "Messages delivered", ["channel"], registry=REGISTRY)
SEND_FAILED = Counter(
    "doithoai_messages_failed", "Send attempts that failed (retried or given up)",
    ["channel", "outcome"], registry=REGISTRY,
)  # fmt: skip
SEND_SECONDS = Histogram(
    "doithoai_send_seconds", "Time of one Bot API send call", ["channel"], registry=REGISTRY,
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)  # fmt: skip
TASK_DEATHS = Counter(
    "doithoai_task_restarts", "Long-running tasks that died and were restarted", ["task"],
    registry=REGISTRY,
)  # fmt: skip
OUTBOX_DEPTH = Gauge(
    "doithoai_outbox_depth", "Messages waiting to be sent", ["channel"], registry=REGISTRY
)
OUTBOX_OLDEST = Gauge(
    "doithoai_outbox_oldest_seconds", "Age of the oldest due message not yet sent", ["channel"],
    registry=REGISTRY,
)  # fmt: skip
INBOX_LAG = Gauge(
    "doithoai_inbox_unhandled", "Updates stored but not yet handled", ["channel"],
    registry=REGISTRY,
)  # fmt: skip


def render() -> bytes:
    return generate_latest(REGISTRY)
