"""The embedded broker speaks enough Kafka for aiokafka to produce and consume."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duely_devstack.broker import broker_command


def test_broker_command_binds_loopback_only():
    argv = broker_command(9092)
    assert argv[1] == "broker"
    assert argv[argv.index("--listener-url") + 1] == "tcp://127.0.0.1:9092"
    assert argv[argv.index("--advertised-listener-url") + 1] == "tcp://127.0.0.1:9092"
    assert argv[argv.index("--storage-engine") + 1] == "memory://tansu/"


async def test_produce_consume_round_trip(start_module):
    broker = start_module("duely_devstack.broker")
    bootstrap = f"127.0.0.1:{broker.port}"
    topic = f"devstack-test-{uuid.uuid4().hex[:8]}"

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"k1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id="devstack-test", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"k1", b"hello")
