"""Where a run's secrets go: the user's 0600 secrets file always, and a reveal-once panel when a person is there.

The file is written before the call that needs the secret (a console password) or right after the
call that returns it (a seed, a Git password), so a crash never loses one. Every run for one user in
one account adds to the same file (`SecretsFile`), so a later run (a reload, a restarted kernel, the
deferred MFA flow, the terminal) finds a waiting device's seed there again with `delivered_seed`.
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
    holding,
    mfa_seed_not_stored,
    register,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Reveal = Callable[[str, str], None]
"""A front end's way to show a secret once: (key in the secrets file, value)."""

MAKES_SECRET = (
    "CreateLoginProfile",
    "UpdateLoginProfile",
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
            self.file = SecretsFile.for_user(self.secrets_dir, self.user_name, self.account_id)
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
        ids = {"mfa_device_id": device.device_id} if device.device_id else {}
        self.put(mfa_serial=device.serial, **ids, mfa_seed=device.seed, mfa_otpauth_uri=uri)
        if self.file is not None:
            self.file.put_png(mfa.qr_png(uri))

    def show_again(self, device: DeliveredDevice) -> None:
        """A waiting device's seed, read back from the secrets file, to the reveal (the file has it already)."""
        if self.reveal is not None:
            self.reveal("mfa_seed", device.seed)
            self.reveal("mfa_otpauth_uri", device.uri)

    def holding(self) -> list[Path]:
        """Every file that still holds a secret of this user in this account, QR images included."""
        return holding(self.secrets_dir, self.user_name, self.account_id)

    def recorded(self, device: mfa.VirtualDevice, device_name: str) -> DeliveredDevice | None:
        """The seed of a waiting device as a secrets file records it (this user's, or an older run's)."""
        return recorded_device(self.secrets_dir, device, device_name, self.account_id)

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


def recorded_device(
    secrets_dir: str, device: mfa.VirtualDevice, device_name: str, account_id: str
) -> DeliveredDevice | None:
    """The seed recorded for this very device in `secrets_dir` (newest entry of any file first), or None.

    A device is found by its serial and, when it carries one, its id tag: IAM gives a device made again
    under the same name the same serial, and the seed of the one before must not pass for its own.
    """
    for path, values in delivered(secrets_dir):
        if values.get("mfa_serial") != device.serial or not values.get("mfa_seed"):
            continue
        if device.device_id and values.get("mfa_device_id") != device.device_id:
            continue
        seed = register(values["mfa_seed"])
        uri = values.get("mfa_otpauth_uri") or mfa.otpauth_uri(seed, device_name, account_id)
        return DeliveredDevice(device.serial, seed, register(uri), path)
    return None


def delivered_seed(secrets_dir: str, device: mfa.VirtualDevice, device_name: str, account_id: str) -> DeliveredDevice:
    """The seed of a waiting device from the secrets file that records it, or an error with the way out."""
    found = recorded_device(secrets_dir, device, device_name, account_id)
    if found is not None:
        return found
    serial = device.serial
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
    """The device an earlier run left waiting for this user (read from IAM), with its seed from the secrets file."""
    waiting = [d for d in mfa.find_pending(iam, user_name) if d.serial.endswith(f"/{device_name}")]
    for device in waiting:
        found = recorded_device(secrets_dir, device, device_name, account_id)
        if found is not None:
            return found
    deferred = [d for d in waiting if d.deferred]
    if not deferred:
        raise RunbookError(
            f"No MFA device {device_name!r} is waiting to be enabled.",
            parameter="mfa",
            fix="Read the executed notebook's MFA section, then run again.",
        )
    return delivered_seed(secrets_dir, deferred[0], device_name, account_id)
