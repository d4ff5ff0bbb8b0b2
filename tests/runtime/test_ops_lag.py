"""Consumer lag against the real embedded broker (tansu), whose high-water mark is the first offset of the
last record batch + 1: the lag must still be N − M per partition when the producer batched."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from duely_runtime.consumers import ensure_topics
from duely_runtime.ops.lag import consumer_lag


async def produce_batched(broker: str, topic: str, per_partition: dict[int, int]) -> None:
    """Many records per request (linger): the broker stores them as one batch per partition."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=200, max_batch_size=1 << 20)
    await producer.start()
    try:
        futures = [await producer.send(topic, f"m{i}".encode(), partition=p)
                   for p, n in per_partition.items() for i in range(n)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def consume_and_commit(broker: str, group: str, topic: str, per_partition: dict[int, int]) -> None:
    """Read the first M records of each partition and commit offset M, as a group member would."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=50)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in per_partition]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        seen = {tp: 0 for tp in tps}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while any(seen[tp] < per_partition[tp.partition] for tp in tps) and loop.time() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                seen[tp] = max(seen[tp], records[-1].offset + 1)
        assert all(seen[tp] >= per_partition[tp.partition] for tp in tps), seen
        await consumer.commit({tp: OffsetAndMetadata(per_partition[tp.partition], "") for tp in tps if
                               per_partition[tp.partition] > 0})
    finally:
        await consumer.stop()


async def test_lag_is_produced_minus_committed_per_partition_even_when_batched(broker):
    topic = f"ops-lag-{uuid.uuid4().hex[:8]}"
    group = f"ops-lag-group-{uuid.uuid4().hex[:8]}"
    await ensure_topics(broker, [topic])
    produced = {0: 40, 1: 7, 2: 1, 3: 0}
    consumed = {0: 15, 1: 7, 2: 0, 3: 0}
    await produce_batched(broker, topic, produced)
    await consume_and_commit(broker, group, topic, consumed)

    figures = {f.partition: f for f in await consumer_lag(broker, group, [topic])}

    assert {p: f.log_end for p, f in figures.items()} == produced
    assert {p: f.lag for p, f in figures.items()} == {p: produced[p] - consumed[p] for p in produced}
    # What the page explains: the broker's own high-water mark is short when the last write was a batch.
    assert figures[0].reported_high_water < produced[0], "the broker fixed its high-water mark: simplify lag.py"
    assert figures[1].committed == 7 and figures[2].committed is None


async def test_lag_follows_a_second_batch_and_a_later_commit(broker):
    topic = f"ops-lag-{uuid.uuid4().hex[:8]}"
    group = f"ops-lag-group-{uuid.uuid4().hex[:8]}"
    await ensure_topics(broker, [topic])
    await produce_batched(broker, topic, {0: 10})
    await produce_batched(broker, topic, {0: 25})
    await consume_and_commit(broker, group, topic, {0: 12})
    (first, *_rest) = await consumer_lag(broker, group, [topic])
    assert (first.partition, first.log_end, first.lag) == (0, 35, 23)
    await consume_and_commit(broker, group, topic, {0: 35})
    (after,) = [f for f in await consumer_lag(broker, group, [topic]) if f.partition == 0]
    assert after.lag == 0
