"""Typed errors, each carrying the parameter at fault and the fix, so a failed run tells the user what to do."""

from __future__ import annotations


class RunbookError(Exception):
    """A failure the user can act on: what went wrong, which parameter or step, and the fix."""

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        fix: str | None = None,
        step: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.fix = fix
        self.step = step

    def __str__(self) -> str:
        parts = [self.message]
        if self.parameter:
            parts.append(f"(parameter: {self.parameter})")
        text = " ".join(parts)
        if self.fix:
            text += f"\nFix: {self.fix}"
        return text


class InputError(RunbookError):
    """Bad input, found before any write to IAM."""


class SecretParameterError(InputError):
    """A secret was passed where it would be saved in plain text (a papermill parameter)."""


class PreflightError(RunbookError):
    """The caller, credentials, region or target cannot run the procedure."""


class ConflictError(RunbookError):
    """The account holds something the runbook must not touch (a stranger's user, a full credential slot)."""


class CodeError(InputError):
    """MFA codes that cannot enable the device: a typo, swapped, reused or from a skewed clock."""


class StepFailed(RunbookError):
    """An IAM call failed during apply; the message names the step and how to finish."""


class StorageError(InputError):
    """The secrets store cannot take a new secret, found before IAM is asked to make one."""


class SecretNotStored(StepFailed):
    """IAM made a secret it shows only once, and the secrets store could not take it: the message names
    what IAM made and how to get a new secret for it."""
