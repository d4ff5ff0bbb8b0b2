"""Export every contract as one AsyncAPI 2.6 document (JSON).

`duely-contracts-export [PATH]` writes it; the committed copy is
`libs/contracts/asyncapi.json` and a test fails when it is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic.json_schema import models_json_schema

from duely_contracts.envelope import Envelope
from duely_contracts.registry import REGISTRY

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "asyncapi.json"


def build_document() -> dict:
    models = [(Envelope, "validation")] + [(spec.model, "validation") for spec in REGISTRY.values()]
    _, schemas = models_json_schema(models, ref_template="#/components/schemas/{model}")
    components = schemas.get("$defs", {})
    channels = {}
    messages = {}
    for spec in REGISTRY.values():
        name = spec.model.__name__
        messages[spec.type] = {
            "name": spec.type,
            "title": name,
            "summary": spec.description,
            "contentType": "application/json",
            "x-publisher": spec.publisher,
            "x-aggregate-type": spec.aggregate,
            "x-webhook": spec.webhook,
            # The message key is the aggregate id: one aggregate's events stay in order in a topic.
            "bindings": {"kafka": {"key": {"type": "string", "description": "The envelope's aggregate_id."},
                                   "bindingVersion": "0.4.0"}},
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/Envelope"},
                    {"type": "object", "properties": {
                        "type": {"const": spec.type},
                        "data": {"$ref": f"#/components/schemas/{name}"},
                    }},
                ]
            },
        }
        channels[spec.topic] = {
            "description": f"{spec.description} Key: aggregate_id. Aggregate type: {spec.aggregate} "
                           f"(versions numbered by {spec.publisher}).",
            "bindings": {"kafka": {"partitions": 4, "bindingVersion": "0.4.0"}},
            "subscribe": {"message": {"$ref": f"#/components/messages/{spec.type}"}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Duely events", "version": "1.1.0",
                 "description": (
                     "Every event on Duely's Kafka topics. Topic name = event type; message key = aggregate_id. "
                     "An aggregate is (aggregate_type, aggregate_id); each aggregate type has one publisher "
                     "(x-publisher), which numbers that aggregate's events with aggregate_version 1, 2, 3... "
                     "Order across topics is not guaranteed: keep the highest aggregate_version applied per "
                     "(aggregate_type, aggregate_id) and ignore any event that is not newer. Delivery is at "
                     "least once: dedupe on the envelope id.")},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": components, "messages": messages},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    path.write_text(render())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
