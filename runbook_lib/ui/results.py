"""The panels after the writes: the summary, and the auditors' controls read back from IAM."""

from __future__ import annotations

from .frame import Panel


class SummaryPanel(Panel):
    name = "summary"
    intro = "What was done, where to sign in, and what is still manual, with the reason."
    action = "Refresh summary"

    def on_turn(self) -> None:
        self.act()

    def act(self) -> None:
        self.do("Summing up…", self.run.summary)


# --- 9 verify ------------------------------------------------------------------------------------


class VerifyPanel(Panel):
    name = "verify"
    intro = (
        "The controls an auditor's checker reports (CIS AWS Foundations v3.0, with each Prowler check id), "
        "read back from IAM: the credential report, the account summary, the user's policies and MFA."
    )
    action = "Run the checks"

    def act(self) -> None:
        self.do("Reading the account back…", self.run.verify)
