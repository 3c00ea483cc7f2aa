"""Section 6, MFA: the virtual device made (or a waiting one taken up), and enabled with two codes.

Headless, the codes come from $RUNBOOK_MFA_CODES or mfa_codes_file (or are made, mfa_codes='generate');
with a person, a panel or the terminal passes them to `submit_codes`.
"""

from __future__ import annotations

from . import choices, users
from .delivery import DeliveredDevice, waiting_device
from .mfa import VirtualDevice
from .plan import APPLIED_HEADER
from .report import Report
from .sections import progress
from .write_steps import WriteSteps


class MfaSteps(WriteSteps):
    """Section 6 of `Runbook`: MFA."""

    def enable_mfa(self) -> Report:
        """Section 6: create the virtual device (or take up the one an earlier run left waiting) and enable it.

        A waiting device whose seed an earlier run delivered is reused: its QR code is shown again from the
        secrets file, so the entry the person's app already has keeps working.
        """
        p = self.params
        if "mfa" in self.finished:
            self.codes = None  # codes are single-use, and this step is done
            return self.finished["mfa"]
        if not p.mfa:
            progress("mfa", "skipped (mfa=False)")
            return self._once("mfa", ("mfa",), Report("MFA: skipped (mfa=False)"))
        before = "an MFA device" if self.mfa_enabled() else "no MFA device"
        resumed = self._resume_device()
        made = self.apply("mfa")
        rows = [s.applied_row() for s in made]
        notes = [f"Before this step: {p.user_name} had {before} enabled."]
        for step in made:
            if step.action == "DeleteVirtualMFADevice":
                notes.append(
                    f"Deleted device {step.arg}, left waiting by an earlier run with its seed recorded nowhere. "
                    "If your authenticator app has an entry for it, remove that entry: it can never work."
                )
        if resumed is not None:
            notes.append(
                f"Device {resumed.serial} was made by an earlier run and is reused: its seed is in "
                f"{resumed.where}, and an authenticator entry made from its QR code keeps working."
            )
        placed = self.delivery.placed("mfa")
        if placed is not None and any(s.action == "CreateVirtualMFADevice" for s in made):
            notes.append(self.delivery.note(placed, self.interactive))
        if self.mfa_enabled():
            notes.append(f"Now: {p.user_name} signs in with MFA (device {self._serial()}).")
            progress("mfa", "enabled")
        else:
            notes.append("Now: the device is waiting for two codes.")
            if self.interactive:
                notes.append("Scan the QR code with an authenticator app, then enter two consecutive codes it shows.")
                progress("mfa", "device ready; waiting for two codes")
            else:
                notes.append(
                    "Import the seed into an authenticator app, then run again with "
                    "RUNBOOK_MFA_CODES=<code1>,<code2> (or mfa_codes_file=PATH) to enable the device."
                )
                progress("mfa", "device created; waiting for codes (defer)")
        return self._once("mfa", ("mfa",), Report("MFA", rows, APPLIED_HEADER if rows else (), notes))

    def _resume_device(self) -> DeliveredDevice | None:
        """The waiting device the plan reuses, with its seed from the secrets file, once per run.

        Its seed lets this run check the person's codes (or make them, mfa_codes='generate'); a front end
        that shows secrets gets its QR code again.
        """
        reuse = [s for s in self.pending("mfa") if s.action == "EnableMFADevice" and s.arg]
        if not reuse or (self.applied.device is not None and self.applied.device.serial == reuse[0].arg):
            return None
        waiting = next((v for v in self.observation().pending if v.serial == reuse[0].arg), VirtualDevice(reuse[0].arg))
        found = self.delivery.recorded(waiting, self.params.device_name)
        if found is None:
            return None  # the deferred flow: the codes come from the person's app, the seed is not needed
        self.applied.device = VirtualDevice(found.serial, found.seed, waiting.deferred, waiting.device_id)
        self.delivery.show_again(found)
        return found

    def submit_codes(self, first: str, second: str) -> Report:
        """Interactive MFA: two codes, each six digits, checked locally against the seed, then the device enabled.

        A `CodeError` (not six digits, a typo, swapped, the same code twice, a skewed clock) leaves the
        device pending, so the person can simply try again with new codes. Once MFA is enabled, a repeat
        returns the report that enabled it.
        """
        if "mfa" in self.finished:
            return self.finished["mfa"]
        self.codes = choices.code_pair(first, second)
        return self.enable_mfa()

    def mfa_waiting(self) -> bool:
        """MFA was asked for and the user has no enabled device yet (read afresh from IAM)."""
        p = self.params
        seen = users.observe(self.conn.iam, p.user_name, login=False, codecommit=False, keys=False)
        return p.mfa and not seen.mfa_serials

    def waiting_device(self) -> DeliveredDevice:
        """The deferred device an earlier run created for the user, with its seed read back from the secrets store."""
        p = self.params
        return waiting_device(self.conn.iam, p.user_name, p.device_name, self.delivery)

    def _serial(self) -> str:
        serials = self.observation().admin.mfa_serials
        if serials:
            return serials[0]
        return self.applied.device.serial if self.applied.device else ""
