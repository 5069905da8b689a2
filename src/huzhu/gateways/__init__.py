"""Payment gateways: the interface (`base`) and the built-in sandbox.

Services take a `GatewayFactory`, a function from a database connection to a gateway, so that an
instruction to the gateway can join the database transaction that records it (the sandbox keeps
its bank in the same database) and tests can configure the sandbox as they like.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from huzhu.domain.errors import NotFound
from huzhu.gateways.base import DebitItem, PaymentGateway, StatementLine
from huzhu.gateways.sandbox import SandboxGateway
from huzhu.gateways.sandbox_config import SandboxConfig
from huzhu.settings import Settings, current

GatewayFactory = Callable[[Connection | Engine], PaymentGateway]

GATEWAYS: dict[str, GatewayFactory] = {"sandbox": SandboxGateway}


def default_name(settings: Settings | None = None) -> str:
    """The gateway huzhu uses, `HUZHU_GATEWAY` (default: the sandbox)."""
    return (settings or current()).gateway


def factory(name: str | None = None, settings: Settings | None = None) -> GatewayFactory:
    settings = settings or current()
    name = name or settings.gateway
    try:
        made = GATEWAYS[name]
    except KeyError:
        raise NotFound(f"no payment gateway {name!r}", code="unknown-gateway") from None
    if made is SandboxGateway:
        return functools.partial(SandboxGateway, config=SandboxConfig.from_settings(settings))
    return made


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
