"""A poll batch's time is bounded below the poll interval, and a worker configured otherwise refuses to start."""
from __future__ import annotations

import pytest

from shared import events
from shared.consumer import ConsumerLoop
from shared.settings import Settings


def loop(settings: Settings, longest_message_s: float = 0.0) -> ConsumerLoop:
    return ConsumerLoop(settings=settings, group_id="g", publisher=None, longest_message_s=longest_message_s,  # type: ignore[arg-type]
                        handlers={events.APPLICATIONS_RECEIVED: lambda e: None})


def test_the_defaults_leave_ingests_slowest_application_room_inside_the_poll_interval():
    settings = Settings()
    loop(settings, longest_message_s=settings.ingest_pull_budget_s)


def test_a_batch_budget_that_with_the_longest_message_would_outlast_the_poll_interval_is_refused_at_start():
    with pytest.raises(ValueError, match="must stay below CONSUMER_MAX_POLL_INTERVAL_MS"):
        loop(Settings(consumer_max_poll_interval_ms=60_000, consumer_batch_budget_s=40), longest_message_s=30)
