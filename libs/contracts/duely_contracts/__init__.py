"""Shared schema contracts: the one envelope, every event's payload, and the registry."""

from duely_contracts.envelope import Envelope
from duely_contracts.registry import REGISTRY, EventSpec, aggregate_type_for, model_for, topic_for, all_topics

__all__ = ["Envelope", "REGISTRY", "EventSpec", "aggregate_type_for", "model_for", "topic_for", "all_topics"]
