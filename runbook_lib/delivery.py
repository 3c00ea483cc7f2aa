"""Where the secrets a run makes go: the 0600 secrets file always, and a reveal-once panel when a person is there.

The file is written before the call that needs the secret (a console password) or right after the
call that returns it (a seed, a Git password), so a crash never loses one. A later run (the deferred
MFA flow, the terminal) finds a device's seed again with `delivered_seed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import mfa
from .codecommit import GitCredential
from .errors import InputError, RunbookError
from .secrets import (
    SECRET_VALUE_KEYS,
    SecretsFile,
    check_can_store,
    delivered,
    git_password_not_stored,
    mfa_seed_not_stored,
    register,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Reveal = Callable[[str, str], None]
"""A front end's way to show a secret once: (key in the secrets file, value)."""

MAKES_SECRET = (
    "CreateLoginProfile",
    "CreateVirtualMFADevice",
    "CreateServiceSpecificCredential",
    "ResetServiceSpecificCredential",
)
"""The IAM calls whose secret exists once (the password it sends, the seed or Git password it returns)."""


@dataclass
class Delivery:
    """This run's secrets file (made on the first secret), and the front end's reveal, if any."""

    secrets_dir: str
    user_name: str
    account_id: str
    signin_url: str
    reveal: Reveal | None = None
    file: SecretsFile | None = None

    @property
    def path(self) -> Path | None:
        return self.file.path if self.file else None

    def put(self, **values: str) -> None:
        """To the 0600 file (it registers each secret with the log redactor), then to the reveal."""
        if self.file is None:
            self.file = SecretsFile.for_run(self.secrets_dir, self.user_name)
            self.file.put(user_name=self.user_name, account_id=self.account_id, console_signin_url=self.signin_url)
        self.file.put(**values)
        for key, value in values.items():
            if self.reveal is not None and key in SECRET_VALUE_KEYS:
                self.reveal(key, value)

    def ready(self, action: str) -> None:
        """Before `action` makes a one-time secret: the secrets directory can take it, or nothing is sent."""
        try:
            check_can_store(self.secrets_dir)
        except InputError as exc:
            raise type(exc)(
                f"{exc.message} ({action} makes a secret IAM shows only once, so it was not called.)",
                parameter=exc.parameter,
                fix=exc.fix,
                step=action,
            ) from None

    def lost(self, made: mfa.VirtualDevice | GitCredential, user_name: str, action: str, exc: OSError) -> RunbookError:
        """IAM made a secret and the file could not take it after all: what is lost, and the way back."""
        if isinstance(made, GitCredential):
            return git_password_not_stored(made.credential_id, user_name, exc, action)
        return mfa_seed_not_stored(made.serial, exc, action)

    def device(self, device: mfa.VirtualDevice, device_name: str) -> None:
        """A new device's serial, seed, otpauth URI and QR image."""
        if device.seed is None:  # pragma: no cover - only a create returns a device, always with its seed
            raise ValueError("a device without its seed cannot be delivered")
        uri = mfa.otpauth_uri(device.seed, device_name, self.account_id)
        self.put(mfa_serial=device.serial, mfa_seed=device.seed, mfa_otpauth_uri=uri)
        if self.file is not None:
            self.file.put_png(mfa.qr_png(uri))

    def note(self, what: str, shown: bool) -> str:
        """The report's line on where a secret went (its value never appears in a report)."""
        where = "Shown once in the panel, then cleared." if shown else "It is not shown in this notebook."
        return f"{what}: written to {self.path} (mode 0600). {where}"


@dataclass(frozen=True)
class DeliveredDevice:
    """A waiting device and its seed, read back from the secrets file of the run that created it."""

    serial: str
    seed: str
    uri: str
    secrets_path: Path


def delivered_seed(secrets_dir: str, serial: str, device_name: str, account_id: str) -> DeliveredDevice:
    """The seed of device `serial` from the newest secrets file that holds it, or an error with the way out."""
    for path, values in delivered(secrets_dir):
        if values.get("mfa_serial") == serial and values.get("mfa_seed"):
            seed = register(values["mfa_seed"])
            uri = values.get("mfa_otpauth_uri") or mfa.otpauth_uri(seed, device_name, account_id)
            return DeliveredDevice(serial, seed, register(uri), path)
    raise RunbookError(
        f"The seed of MFA device {serial} is in no secrets file in {secrets_dir}.",
        parameter="secrets_dir",
        fix=f"Point secrets_dir at the directory of the run that created it, or delete the device "
        f"(aws iam delete-virtual-mfa-device --serial-number {serial}) and run again.",
    )


def password_delivered(secrets_dir: str, user_name: str, account_id: str) -> bool:
    """Whether a secrets file in `secrets_dir` holds a console password for this user of this account.

    A user's existing password is the runbook's own only if an earlier run wrote it there (always
    before `CreateLoginProfile`); the value is not read out, only that one is there.
    """
    return any(
        values.get("user_name") == user_name
        and values.get("account_id") == account_id
        and values.get("console_password")
        for _, values in delivered(secrets_dir)
    )


def waiting_device(
    iam: IAMClient, user_name: str, device_name: str, secrets_dir: str, account_id: str
) -> DeliveredDevice:
    """The deferred device an earlier run created for this user (read from IAM), with its seed from that run's file."""
    deferred = [d for d in mfa.find_pending(iam, user_name) if d.deferred and d.serial.endswith(f"/{device_name}")]
    if not deferred:
        raise RunbookError(
            f"No MFA device {device_name!r} is waiting to be enabled.",
            parameter="mfa",
            fix="Read the executed notebook's MFA section, then run again.",
        )
    return delivered_seed(secrets_dir, deferred[0].serial, device_name, account_id)
