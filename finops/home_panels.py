"""Panels on an organization's home page, contributed by apps the home page does not import.

An app registers a provider in its `AppConfig.ready()`:

    home_panel_register("monitoring", open_anomalies_panel, order=20)

A provider takes the request (an organization member's) and returns a `HomePanel` (a
template name and its context) or None to show nothing. The home view renders every
registered panel in `order`; so `costs.explorer` shows anomalies and budgets without
importing `costs.monitoring` (an import contract forbids it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class HomePanel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelProvider = Callable[[HttpRequest], HomePanel | None]

_providers: dict[str, tuple[int, PanelProvider]] = {}


def home_panel_register(name: str, provider: PanelProvider, *, order: int = 100) -> None:
    """Add (or replace, by `name`) a panel provider; call it from `AppConfig.ready()`."""
    _providers[name] = (order, provider)


def home_panels(request: HttpRequest) -> list[HomePanel]:
    """The panels to show on this request's home page, in order (providers returning None are skipped)."""
    panels = []
    for _name, (_order, provider) in sorted(_providers.items(), key=lambda item: (item[1][0], item[0])):
        panel = provider(request)
        if panel is not None:
            panels.append(panel)
    return panels
