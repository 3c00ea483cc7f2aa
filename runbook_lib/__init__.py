"""runbook_lib: the helper package behind the first-admin-user runbook.

Imports stay light (boto3, widgets, QR rendering and moto load only when a step needs them), so a
headless run pays only for what it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runbook import Runbook

__all__ = ["__version__", "start"]
DISTRIBUTION = "runbook-first-admin"


def __getattr__(name: str) -> str:
    """`__version__`, from the installed distribution's metadata (read only when asked for)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(DISTRIBUTION)
        except PackageNotFoundError:
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def start(namespace: dict[str, Any]) -> Runbook:
    """Validate the notebook's parameters, connect to the target and run preflight (section 0)."""
    from .runbook import start as _start

    return _start(namespace)
