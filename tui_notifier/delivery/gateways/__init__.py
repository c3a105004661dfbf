"""Gateways the engine sends through, chosen by `gateway.kind`."""
from __future__ import annotations

from tui_notifier.delivery.gateways.base import Gateway, ReportResult, SendResult
from tui_notifier.delivery.gateways.hyber import HyberGateway
from tui_notifier.delivery.gateways.probe import ProbeGateway
from tui_notifier.delivery.gateways.sandbox import SandboxGateway

HTTP_GATEWAYS = {"probe": ProbeGateway, "hyber": HyberGateway}


def make_gateway(gateway_config, concurrency: int = 8) -> Gateway:
    """The gateway `gateway.kind` names; HTTP ones keep at most `concurrency` connections."""
    kind = gateway_config.kind
    if kind == "sandbox":
        return SandboxGateway(gateway_config)
    if kind not in HTTP_GATEWAYS:
        raise ValueError(f"unknown gateway.kind {kind!r}")
    if not gateway_config.url:
        raise ValueError(f"gateway.url must be set for the {kind} gateway")
    return HTTP_GATEWAYS[kind](gateway_config, concurrency)


__all__ = ["Gateway", "ReportResult", "SendResult", "make_gateway"]
