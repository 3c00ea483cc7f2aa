"""The interactive runbook's face: one panel per section, reached by the procedure's own method names.

`Panels.start(globals())` returns the panels where `runbook.start` returns the procedure, and
`panels.enable_mfa()` returns the MFA panel where `run.enable_mfa()` returns the MFA report, so the
notebook's cells read the same in both modes (`notebook.start` picks which object the cells get).
Building a panel never writes to IAM: every write happens in a click handler, the first of them
behind the review panel's Create button.

In JupyterLab each method returns its section's panel. In the wizard (Voila) the first returns the
whole page (the tracker, one step at a time, Back and Next) and the others return nothing: their
panels appear on that page when the person gets to them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..params import PARAMETER_NAMES, WIZARD_ENV
from ..runbook import Runbook, start as start_run
from .choosing import ConsolePanel, PermissionsPanel, UserPanel
from .credentials import CodeCommitPanel, MfaPanel
from .parts import Widget
from .results import SummaryPanel, VerifyPanel
from .review import CreatePanel, ReviewPanel
from .state import ORDER, PanelFactory, Wizard, paged_here
from .target import PreflightPanel

PANELS: Mapping[str, PanelFactory] = {
    p.name: p
    for p in (
        PreflightPanel,
        UserPanel,
        ConsolePanel,
        PermissionsPanel,
        ReviewPanel,
        CreatePanel,
        MfaPanel,
        CodeCommitPanel,
        SummaryPanel,
        VerifyPanel,
    )
}


class Panels:
    """The run with a person at it: each section's method returns its panel (the same one if the cell runs again)."""

    def __init__(
        self,
        run: Runbook | None,
        *,
        paged: bool | None = None,
        raw: Mapping[str, Any] | None = None,
        failure: Exception | None = None,
    ) -> None:
        self.wizard = Wizard(run, PANELS, paged=paged_here() if paged is None else paged, raw=raw, failure=failure)

    @classmethod
    def start(cls, namespace: Mapping[str, Any], *, paged: bool | None = None) -> Panels:
        """Start the run for a person; a start that fails (no endpoint, no credentials) is the first panel's message.

        `runbook wizard --target/--profile` reach the wizard's kernel through the environment (WIZARD_ENV).
        """
        chosen = {name: os.environ[var] for name, var in WIZARD_ENV.items() if os.environ.get(var)}
        namespace = {**namespace, **chosen}
        raw = {k: v for k, v in namespace.items() if k in PARAMETER_NAMES}
        try:
            run = start_run(namespace)
        except Exception as exc:  # shown in the first panel, with a way to try again
            return cls(None, paged=paged, raw=raw, failure=exc)
        return cls(run, paged=paged)

    @property
    def runbook(self) -> Runbook:
        return self.wizard.run

    def panel(self, key: str) -> Widget | None:
        """The section's panel; in the wizard, the whole page for the first section and nothing for the others."""
        if key not in ORDER:
            raise ValueError(f"No panel for section {key!r}; the panels are: {', '.join(ORDER)}.")
        slot = self.wizard.panel(key)
        if self.wizard.paged:
            return self.wizard.frame if key == ORDER[0] else None
        return slot

    def preflight(self) -> Widget | None:
        return self.panel("preflight")

    def choose_user(self) -> Widget | None:
        return self.panel("user")

    def console_access(self) -> Widget | None:
        return self.panel("console")

    def permissions(self) -> Widget | None:
        return self.panel("permissions")

    def review(self) -> Widget | None:
        return self.panel("review")

    def create(self) -> Widget | None:
        return self.panel("create")

    def enable_mfa(self) -> Widget | None:
        return self.panel("mfa")

    def git_credentials(self) -> Widget | None:
        return self.panel("codecommit")

    def summary(self) -> Widget | None:
        return self.panel("summary")

    def verify(self) -> Widget | None:
        return self.panel("verify")
