"""Payment gateways: the interface (`base`) and the built-in sandbox.

Services take a `GatewayFactory`, a function from a database connection to a gateway, so that an
instruction to the gateway can join the database transaction that records it (the sandbox keeps
its bank in the same database) and tests can configure the sandbox as they like.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from huzhu.domain.errors import NotFound
from huzhu.gateways.base import DebitItem, PaymentGateway, StatementLine
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.gateways.sandbox_config import SandboxConfig

GatewayFactory = Callable[[Connection | Engine], PaymentGateway]

GATEWAYS: dict[str, GatewayFactory] = {"sandbox": SandboxGateway}


def default_name() -> str:
    """The gateway huzhu uses, from $HUZHU_GATEWAY (default: the sandbox)."""
    return os.environ.get("HUZHU_GATEWAY", "sandbox")


def factory(name: str | None = None) -> GatewayFactory:
    name = name or default_name()
    try:
        return GATEWAYS[name]
    except KeyError:
        raise NotFound(f"no payment gateway {name!r}", code="unknown-gateway") from None


__all__ = [
    "GATEWAYS",
    "DebitItem",
    "GatewayFactory",
    "PaymentGateway",
    "SandboxConfig",
    "SandboxGateway",
    "StatementLine",
    "default_name",
    "factory",
]
