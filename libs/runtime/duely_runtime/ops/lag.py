"""Consumer lag per topic and partition: log end − the consumer group's committed offset.

The log end is not taken from the broker's high-water mark alone: the embedded broker (tansu)
reports the first offset of the last record batch + 1, which is short by the size of that batch
whenever a producer batched. So, for every partition, a group-less consumer seeks to HWM − 1
(inside the last batch, or at the last record on Kafka), reads to the end, and takes the last
offset seen + 1. On Apache Kafka that equals the HWM; on tansu it is the true end.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

HOW_COMPUTED = (
    "Lag = log end − the offset the service's consumer group last committed, per partition. "
    "The log end is not the broker's high-water mark: the embedded broker reports the first offset of the "
    "last record batch + 1, short by that batch. A group-less consumer reads each partition from "
    "high-water mark − 1 to the end and takes the last offset + 1 (on Apache Kafka this equals the "
    "high-water mark). The service commits about once a second, so a lag of a few events can be in flight.")


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here (it starts at the log start)
    log_end: int
    reported_high_water: int
    lag: int

    def as_dict(self) -> dict:
        return asdict(self)


async def committed_offsets(bootstrap_servers: str, group_id: str, tps: list[TopicPartition]) -> dict:
    """The group's committed offsets, read (OffsetFetch) by a consumer that never joins the group.
    (The admin client's list_consumer_group_offsets cannot decode the embedded broker's answer.)"""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False,
                              request_timeout_ms=5000)
    await reader.start()
    try:
        return {tp: await reader.committed(tp) for tp in tps}
    finally:
        with contextlib.suppress(Exception):
            await reader.stop()


async def log_ends(consumer: AIOKafkaConsumer, tps: list[TopicPartition],
                   quiet_rounds: int = 2, deadline_s: float = 5.0) -> tuple[dict, dict, dict]:
    """→ (true log end, reported high-water mark, log start) per partition, read as the module says."""
    reported = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    ends = dict(reported)
    readable = [tp for tp in tps if reported[tp] > starts[tp]]
    if not readable:
        return ends, reported, starts
    consumer.assign(readable)
    for tp in readable:
        consumer.seek(tp, max(reported[tp] - 1, starts[tp]))
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + deadline_s
    quiet = 0
    while quiet < quiet_rounds and loop.time() < stop_at:
        batch = await consumer.getmany(timeout_ms=100)
        if not batch:
            quiet += 1
            continue
        quiet = 0
        for tp, records in batch.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
    return ends, reported, starts


async def consumer_lag(bootstrap_servers: str, group_id: str, topics: list[str]) -> list[PartitionLag]:
    if not topics:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=50, request_timeout_ms=5000, metadata_max_age_ms=5000)
    await consumer.start()
    try:
        known = await consumer.topics()
        tps = [TopicPartition(topic, p) for topic in sorted(topics) if topic in known
               for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends, reported, starts = await log_ends(consumer, tps)
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
    committed = await committed_offsets(bootstrap_servers, group_id, tps)
    figures = []
    for tp in tps:
        done = committed.get(tp)
        behind = ends[tp] - (done if done is not None else starts[tp])
        figures.append(PartitionLag(tp.topic, tp.partition, done, ends[tp], reported[tp], max(behind, 0)))
    return figures
