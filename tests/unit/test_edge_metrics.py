"""An edge's metrics say what waits for the hub and for how long (baocao/edge_metrics.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest

from baocao.edge_metrics import EdgeMetrics
from baocao.edge_node import OutboxStatus

NOW = datetime(2026, 12, 17, 9, tzinfo=UTC)


def scraped(metrics: EdgeMetrics) -> list[str]:
    return generate_latest(metrics.registry).decode().splitlines()


def test_a_backlog_shows_its_size_and_the_age_of_its_oldest_report() -> None:
    metrics = EdgeMetrics("00004")

    metrics.observe(OutboxStatus(5, 2, NOW - timedelta(minutes=3)), False, NOW)

    lines = scraped(metrics)
    assert "baocao_edge_outbox_stored 5.0" in lines
    assert "baocao_edge_outbox_unsent 2.0" in lines
    assert "baocao_edge_outbox_oldest_unsent_age_seconds 180.0" in lines
    assert "baocao_edge_link_up 0.0" in lines


def test_nothing_waiting_is_an_age_of_zero_and_an_unknown_link_keeps_its_last_value() -> None:
    metrics = EdgeMetrics("00004")
    metrics.observe(OutboxStatus(5, 2, NOW - timedelta(minutes=3)), True, NOW)

    metrics.observe(OutboxStatus(5, 0, None), None, NOW)

    lines = scraped(metrics)
    assert "baocao_edge_outbox_oldest_unsent_age_seconds 0.0" in lines
    assert "baocao_edge_link_up 1.0" in lines
