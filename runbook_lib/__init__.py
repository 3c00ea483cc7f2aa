"""runbook_lib: the helper package behind the first-admin-user runbook.

Imports stay light (boto3, widgets, QR rendering and moto load only when a step needs them), so a
headless run pays only for what it uses. The notebooks' first cells call `start` or `start_teardown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runbook import Runbook
    from .teardown import Teardown
    from .ui import Panels

__all__ = ["__version__", "start", "start_teardown"]
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


def start(namespace: Mapping[str, Any]) -> Runbook | Panels:
    """Validate the notebook's parameters, connect, run preflight; panels for a person, else reports."""
    from .notebook import start as _start

    return _start(namespace)


def start_teardown(namespace: Mapping[str, Any]) -> Teardown:
    """The delete notebook's start: its parameters, the connection and preflight."""
    from .notebook import start_teardown as _start

    return _start(namespace)
