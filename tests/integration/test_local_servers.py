"""The local servers `make run` starts keep their data across a stop and a start."""
from __future__ import annotations

import stack
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from pymongo import MongoClient


def test_secantusdb_keeps_documents_across_a_restart(tmp_path):
    server = stack.MongoServer(port=stack.free_port(), storage=str(tmp_path / "data"), log_dir=tmp_path).start()
    try:
        MongoClient(server.uri).db.things.insert_one({"_id": "kept"})
        server.stop()
        server.start()
        assert MongoClient(server.uri).db.things.find_one({"_id": "kept"}) == {"_id": "kept"}
    finally:
        server.stop()


def test_kafka_keeps_topics_and_messages_across_a_restart(tmp_path):
    broker = stack.KafkaServer(port=stack.free_port(), controller_port=stack.free_port(), data_dir=tmp_path / "k").start()
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        admin.create_topics([NewTopic("kept", 1, 1)])
        admin.close()
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        producer.send("kept", b"still here").get(timeout=10)
        producer.close()
        broker.stop()
        broker.start()
        consumer = KafkaConsumer("kept", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                                 consumer_timeout_ms=10_000)
        assert [r.value for r in consumer][:1] == [b"still here"]
        consumer.close()
    finally:
        broker.stop()
