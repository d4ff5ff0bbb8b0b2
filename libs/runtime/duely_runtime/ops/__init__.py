"""Operator pages and endpoints every service has (see routes.py); the gateway's ops home reuses the guard,
the sign-in and the templates."""

from duely_runtime.ops.figures import QueueFigure
from duely_runtime.ops.guard import OpsGuard, ops_guard
from duely_runtime.ops.routes import install_ops_routes

__all__ = ["QueueFigure", "OpsGuard", "ops_guard", "install_ops_routes"]
