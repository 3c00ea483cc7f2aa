"""The interactive runbook's face: one panel per section, reached by the procedure's own method names.

`Panels(run).enable_mfa()` returns the MFA panel where `run.enable_mfa()` returns the MFA report, so the
notebook's cells read the same in both modes (`notebook.start` picks which object the cells get).
Building a panel never writes to IAM: every write happens in a click handler, the first of them
behind the review panel's Create button.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..runbook import Runbook
from .choosing import ConsolePanel, PermissionsPanel, PreflightPanel, UserPanel
from .credentials import CodeCommitPanel, MfaPanel
from .frame import ORDER, PanelFactory, Widget, Wizard
from .results import SummaryPanel, VerifyPanel
from .review import CreatePanel, ReviewPanel

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

    def __init__(self, run: Runbook) -> None:
        self.runbook = run
        self.wizard = Wizard(run, PANELS)

    def panel(self, key: str) -> Widget:
        if key not in ORDER:
            raise ValueError(f"No panel for section {key!r}; the panels are: {', '.join(ORDER)}.")
        return self.wizard.panel(key)

    def preflight(self) -> Widget:
        return self.panel("preflight")

    def choose_user(self) -> Widget:
        return self.panel("user")

    def console_access(self) -> Widget:
        return self.panel("console")

    def permissions(self) -> Widget:
        return self.panel("permissions")

    def review(self) -> Widget:
        return self.panel("review")

    def create(self) -> Widget:
        return self.panel("create")

    def enable_mfa(self) -> Widget:
        return self.panel("mfa")

    def git_credentials(self) -> Widget:
        return self.panel("codecommit")

    def summary(self) -> Widget:
        return self.panel("summary")

    def verify(self) -> Widget:
        return self.panel("verify")
