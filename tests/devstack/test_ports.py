"""Servers started by the tests and launchers never listen on a port the kernel may give away."""

from __future__ import annotations

import pytest

from duely_devstack.net import ephemeral_ports, free_port


def test_a_range_that_straddles_the_ephemeral_ports_yields_only_ports_below_them():
    ephemeral = ephemeral_ports()
    low, high = ephemeral.start - 20, ephemeral.start + 2000
    picked = {free_port(low, high) for _ in range(50)}
    assert picked and all(low <= port < ephemeral.start for port in picked)


def test_a_range_inside_the_ephemeral_ports_is_refused():
    ephemeral = ephemeral_ports()
    with pytest.raises(RuntimeError, match="outside the ephemeral range"):
        free_port(ephemeral.start, ephemeral.start + 100)
