"""Gateways the engine sends through, chosen by `gateway.kind`."""
from __future__ import annotations

from tui_notifier.delivery.gateways.base import Gateway, Outcome, ReportResult, SendResult


def make_gateway(gateway_config, pool_size: int = 2) -> Gateway:
    kind = gateway_config.kind
    if kind == "sandbox":
        from tui_notifier.delivery.gateways.sandbox import SandboxGateway

        return SandboxGateway(gateway_config)
    if not gateway_config.url:
        raise ValueError(f"gateway.url must be set for the {kind} gateway")
    if kind == "probe":
        from tui_notifier.delivery.gateways.probe import ProbeGateway

        return ProbeGateway(gateway_config, pool_size)
    if kind == "hyber":
        from tui_notifier.delivery.gateways.hyber import HyberGateway

        return HyberGateway(gateway_config, pool_size)
    raise ValueError(f"unknown gateway.kind {kind!r}")


__all__ = ["Gateway", "Outcome", "ReportResult", "SendResult", "make_gateway"]
