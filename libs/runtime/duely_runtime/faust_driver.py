"""faust with a fetch wait we choose.

faust's aiokafka driver hard-codes `fetch_max_wait_ms=1500`. Kafka answers a fetch as soon
as data arrives, but the embedded broker (tansu) waits the whole time, so with 1500 ms one
hop over the broker cost p50 365 ms; with a few tens of ms it costs 5–12 ms.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka


def _transport_class(fetch_max_wait_ms: int) -> type[faust_aiokafka.Transport]:
    class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport):
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = fetch_max_wait_ms  # read when the consumer starts its fetcher
            return consumer

    class Consumer(faust_aiokafka.Consumer):
        def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
            return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_aiokafka.Transport):
        pass
    Transport.Consumer = Consumer
    return Transport


class ShortFetchApp(faust.App):
    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        self._transport_class = _transport_class(fetch_max_wait_ms)
        super().__init__(*args, **kwargs)

    def _new_transport(self):
        return self._transport_class(self.conf.broker_consumer, self)
