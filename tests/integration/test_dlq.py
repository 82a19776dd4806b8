"""`credbridge dlq list|replay` against the real broker and database: errors shown, no personal data, each record replayed once."""
from __future__ import annotations

import json
import uuid

import pytest

from services import cli
from shared import events
from shared.consumer import ConsumerLoop, PermanentError
from shared.kafka import Publisher, ensure_topics
from tests.support.kafka_probe import TopicReader

pytestmark = pytest.mark.integration


@pytest.fixture
def run_cli(settings, monkeypatch, capsys):
    """Runs `credbridge ...` in-process with this test's settings; returns (exit code, parsed stdout)."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap_servers)
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)

    def run(*argv: str):
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        run.err = captured.err
        return code, (json.loads(captured.out) if captured.out.strip() else None)
    return run


def _submitted(tenant: str) -> events.Event:
    return events.new_event("credential.submitted", tenant=tenant, payload={
        "credential_id": uuid.uuid4().hex, "application_id": "app-dlq", "provenance": "payload",
        "candidate": {"id": "cand-dlq", "name": "Grace Hopper", "emails": ["grace@example.org"]}, "jwt": "x.y.z"})


def _dead_letter(settings, topic: str, event: events.Event) -> None:
    """Runs the real consumer policy with a handler whose cause is not fixed yet: the message is dead-lettered."""
    def broken(_event):
        raise PermanentError("issuer registry misconfigured")
    publisher = Publisher(settings)
    try:
        loop = ConsumerLoop(settings=settings, group_id="dlq-test", publisher=publisher, handlers={topic: broken})
        assert loop.process(topic, b"key-1", events.encode(event)).dead_lettered
    finally:
        publisher.close()


def test_list_shows_the_error_and_envelope_ids_but_no_names_or_emails(settings, run_cli):
    event = _submitted(f"t-{uuid.uuid4().hex[:8]}")
    _dead_letter(settings, events.CREDENTIALS_SUBMITTED, event)
    code, listing = run_cli("dlq", "list", events.CREDENTIALS_SUBMITTED)
    assert code == 0 and listing["topic"] == "credentials.submitted.dlq"
    mine = [r for r in listing["records"] if r["event_id"] == event.event_id]
    assert len(mine) == 1
    assert mine[0]["error"] == "PermanentError: issuer registry misconfigured"
    assert mine[0]["original_topic"] == "credentials.submitted" and mine[0]["replayed"] is False
    assert mine[0]["trace_id"] == event.trace_id
    text = json.dumps(listing)
    assert "grace@example.org" not in text and "Grace Hopper" not in text


def test_the_payload_is_printed_only_when_asked_for(settings, run_cli):
    event = _submitted(f"t-{uuid.uuid4().hex[:8]}")
    _dead_letter(settings, events.CREDENTIALS_SUBMITTED, event)
    _, listing = run_cli("dlq", "list", "credentials.submitted.dlq", "--payload")
    mine = [r for r in listing["records"] if r["event_id"] == event.event_id]
    assert json.loads(mine[0]["payload"])["payload"]["candidate"]["emails"] == ["grace@example.org"]


def test_replaying_one_record_republishes_it_unchanged_to_its_original_topic_exactly_once(settings, run_cli):
    event = _submitted(f"t-{uuid.uuid4().hex[:8]}")
    _dead_letter(settings, events.CREDENTIALS_SUBMITTED, event)
    _, listing = run_cli("dlq", "list", events.CREDENTIALS_SUBMITTED)
    record_id = next(r["id"] for r in listing["records"] if r["event_id"] == event.event_id)
    reader = TopicReader(settings.kafka_bootstrap_servers, events.CREDENTIALS_SUBMITTED)
    try:
        code, result = run_cli("dlq", "replay", events.CREDENTIALS_SUBMITTED, "--id", record_id)
        assert code == 0 and result["replayed"] == [record_id]
        seen = reader.read(until=lambda s: any(r.value == events.encode(event) for r in s[events.CREDENTIALS_SUBMITTED]))
        replays = [r for r in seen[events.CREDENTIALS_SUBMITTED] if r.value == events.encode(event)]
        assert len(replays) == 1 and replays[0].key == b"key-1"
        assert dict(replays[0].headers)["replayed_from"] == f"credentials.submitted.dlq:{record_id}".encode()

        code, again = run_cli("dlq", "replay", events.CREDENTIALS_SUBMITTED, "--id", record_id)
        assert code == 0 and again == {"topic": "credentials.submitted.dlq", "replayed": [],
                                       "skipped_already_replayed": [record_id]}
        reader.read(timeout_s=2)
        assert len([r for r in reader.seen[events.CREDENTIALS_SUBMITTED] if r.value == events.encode(event)]) == 1
    finally:
        reader.close()
    _, listing = run_cli("dlq", "list", events.CREDENTIALS_SUBMITTED)
    assert next(r for r in listing["records"] if r["id"] == record_id)["replayed"] is True


def test_replaying_a_whole_topic_sends_every_record_not_replayed_before_and_none_twice(settings, run_cli):
    topic = f"ops-test-{uuid.uuid4().hex[:8]}"  # a private topic, so "every record" is only this test's
    ensure_topics(settings, [topic])
    first, second = _submitted("t-a"), _submitted("t-b")
    # The loop dead-letters both: their envelope type belongs on another topic than the one they came in on.
    publisher = Publisher(settings)
    loop = ConsumerLoop(settings=settings, group_id="dlq-test", publisher=publisher, handlers={topic: lambda e: None})
    for event in (first, second):
        assert loop.process(topic, None, events.encode(event)).dead_lettered
    publisher.close()

    code, result = run_cli("dlq", "replay", topic)
    assert code == 0 and len(result["replayed"]) == 2 and result["skipped_already_replayed"] == []
    code, again = run_cli("dlq", "replay", topic)
    assert again["replayed"] == [] and sorted(again["skipped_already_replayed"]) == sorted(result["replayed"])


def test_an_unknown_topic_or_record_is_an_error_not_a_crash(settings, run_cli):
    code, _ = run_cli("dlq", "list", "no-such-topic")
    assert code == 2 and "no topic 'no-such-topic.dlq'" in run_cli.err
    code, _ = run_cli("dlq", "replay", events.CREDENTIALS_SUBMITTED, "--id", "0:999999999")
    assert code == 2 and "no dead letter 0:999999999" in run_cli.err
