"""Where a run's secrets go: the chosen secrets store, and a reveal-once panel when a person is there.

The procedure talks to one `SecretStore` (`secrets_store`: the 0600 file, KeePass or pass) through
`Delivery`, never to a concrete store. The store is checked in preflight, before any write; a secret
goes to it before the call that needs it (a console password) or right after the call that returns
it (a seed, a Git password), so a crash never loses one. A later run (a reload, the deferred MFA
flow, the terminal) reads a waiting device's seed back from the same store.

If the store refuses a secret IAM has just made, the secret is not lost in silence: a front end that
shows secrets shows it once, and the run says what was lost and how to get a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import mfa
from .codecommit import GitCredential
from .errors import InputError, RunbookError, SecretNotStored
from .secrets import register
from .stores import KEEPASS_PASSWORD_ENV, Placed, Secret, SecretStore, StoreError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Reveal = Callable[[str, str], None]
"""A front end's way to show a secret once: (its key, as the file store names it; value)."""

MAKES_SECRET = (
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "CreateVirtualMFADevice",
    "CreateServiceSpecificCredential",
    "ResetServiceSpecificCredential",
)
"""The IAM calls whose secret exists once (the password it sends, the seed or Git password it returns)."""

REFUSED = (StoreError, InputError, OSError)
"""How a store refuses a secret: its own error, a check that no longer passes, or the disk."""


class StoreLocked(InputError):
    """The KeePass database waits for its master password, which a panel asks for (never a parameter)."""


@dataclass
class PanelPrompt:
    """The panels' `AskPassword`: the master password typed in the preflight panel, once there is one.

    A panel cannot block the kernel to ask, so until a password is typed the store stays locked.
    """

    typed: str | None = field(default=None, repr=False)
    creating: bool = False  # what the store last asked for: the key of a new database (typed twice)

    def __call__(self, db: Path, creating: bool) -> str:
        self.creating = creating
        if self.typed:
            return self.typed
        what = "a master password for the new KeePass database" if creating else "the KeePass master password"
        raise StoreLocked(
            f"The secrets store {db} waits for {what}.",
            parameter="keepass_db",
            fix=f"Type it in the Preflight panel (or set ${KEEPASS_PASSWORD_ENV} before starting).",
        )


@dataclass
class Delivery:
    """This run's secrets store, the front end's reveal, and the store's state: checked, or locked."""

    store: SecretStore
    git_endpoint: str = ""  # the region's CodeCommit HTTPS endpoint: the Git entry's URL
    prompt: PanelPrompt | None = None  # the panels' way to the master password (None: the store never waits)
    reveal: Reveal | None = None
    notes: list[str] = field(default_factory=list)  # the store's preflight notes
    locked: StoreLocked | None = None  # the panels: the database waits for the master password
    went: list[Placed] = field(default_factory=list)  # where each secret of this run went, refusals too

    @property
    def user_name(self) -> str:
        return self.store.account.user_name

    @property
    def account_id(self) -> str:
        return self.store.account.account_id

    def rename(self, user_name: str) -> None:
        """The person changed the user before anything was written: the secrets are the new user's."""
        self.store.account = replace(self.store.account, user_name=user_name)

    # --- preflight ------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """The store can take secrets (preflight, before any write); its notes for the preflight report.

        With a panel prompt, a KeePass database that needs a master password is not refused but left
        locked, for the preflight panel to ask (`unlock`); nothing can be written until then.
        """
        try:
            self.notes = self.store.check()
        except StoreLocked as exc:
            self.locked = exc
            self.notes = [f"{exc.message} {exc.fix}"]
        else:
            self.locked = None
        return self.notes

    @property
    def creating(self) -> bool:
        """The locked database does not exist yet: its new master password is typed twice."""
        return self.prompt is not None and self.prompt.creating

    def unlock(self, password: str, again: str | None) -> list[str]:
        """The master password from the preflight panel (twice for a new database, made with the first secret)."""
        if self.prompt is None:
            raise InputError(
                "This run takes the master password from its environment, not from a panel.",
                parameter="keepass_db",
                fix=f"Set ${KEEPASS_PASSWORD_ENV} or keepass_keyfile, then run again.",
            )
        if not password:
            raise InputError("The master password is empty.", parameter="keepass_db", fix="Type it, then press Open.")
        register(password)
        if self.creating and again != password:
            raise InputError(
                "The two master passwords differ.",
                parameter="keepass_db",
                fix="Type the new database's master password twice, the same both times.",
            )
        self.prompt.typed = password
        try:
            notes = self.store.check()
        finally:
            self.prompt.typed = None  # the store holds the key now; no copy stays here
        self.locked, self.notes = None, notes
        return notes

    def ready(self, action: str) -> None:
        """Before `action` makes a secret IAM shows once: the store can take it now, or nothing is sent."""
        if self.locked is not None:
            raise InputError(
                f"{self.locked.message} ({action} makes a secret IAM shows only once, so it was not called.)",
                parameter=self.locked.parameter,
                fix=self.locked.fix,
                step=action,
            )
        try:
            self.store.ready()
        except InputError as exc:
            raise type(exc)(
                f"{exc.message} ({action} makes a secret IAM shows only once, so it was not called.)",
                parameter=exc.parameter,
                fix=exc.fix,
                step=action,
            ) from None

    # --- secrets going out ----------------------------------------------------------------------

    def _show(self, **values: str) -> None:
        if self.reveal is not None:
            for key, value in values.items():
                self.reveal(key, value)

    def console(self, password: str, signin_url: str, action: str) -> Placed:
        """The console password, before `action` sends it: a store that refuses it stops the call."""
        try:
            placed = self.store.put_console(self.user_name, password, signin_url)
        except REFUSED as exc:
            raise InputError(
                f"The secrets store could not take the console password ({_reason(exc)}); {action} was not called.",
                parameter=self._parameter(exc),
                fix=_fix(exc, "Fix the secrets store, then run again: the user is there, its password is not."),
                step=action,
            ) from None
        self._show(console_password=password)
        return self._went(placed)

    def device(self, device: mfa.VirtualDevice, device_name: str) -> Placed:
        """A new device's seed and otpauth URI (the file store adds the QR image); shown once where a person is."""
        if device.seed is None:  # pragma: no cover - only a create returns a device, always with its seed
            raise ValueError("a device without its seed cannot be delivered")
        uri = register(mfa.otpauth_uri(device.seed, device_name, self.account_id))
        try:
            placed = self.store.put_mfa(self.user_name, device.serial, device.seed, uri, device.device_id)
        except REFUSED as exc:
            placed = self._refused(
                exc,
                "mfa",
                "CreateVirtualMFADevice",
                "MFA seed",
                f"MFA device {device.serial} was created, and the store could not take its seed",
                "A run with a store that works replaces the device (its seed is recorded nowhere).",
                mfa_seed=device.seed,
                mfa_otpauth_uri=uri,
            )
        else:
            self._show(mfa_seed=device.seed, mfa_otpauth_uri=uri)
        return self._went(placed)

    def git(self, credential: GitCredential, step: str = "CreateServiceSpecificCredential") -> Placed:
        """A new Git password, with its user name and the region's endpoint; shown once where a person is."""
        try:
            placed = self.store.put_codecommit(
                self.user_name, credential.username, credential.password, self.git_endpoint
            )
        except REFUSED as exc:
            placed = self._refused(
                exc,
                "codecommit",
                step,
                "CodeCommit Git password",
                f"Git credential {credential.credential_id} was created, and the store could not take its password",
                f"Fix the store, then run again with codecommit_reset={credential.credential_id}: IAM gives that "
                "credential a new password, and the run stores it.",
                codecommit_password=credential.password,
            )
        else:
            self._show(codecommit_password=credential.password)
        return self._went(placed)

    def _parameter(self, exc: BaseException) -> str:
        """The parameter at fault when the store refuses: the error's own, else where this store keeps secrets."""
        own = exc.parameter if isinstance(exc, RunbookError) else None
        return own or {"file": "secrets_dir", "keepass": "keepass_db", "pass": "secrets_store"}[self.store.kind]

    def _went(self, placed: Placed) -> Placed:
        self.went.append(placed)
        return placed

    def _refused(
        self, exc: BaseException, key: Secret, step: str, what: str, happened: str, again: str, **secret: str
    ) -> Placed:
        """A secret IAM made and the store refused: shown once in the panel if there is one, else an error."""
        if self.reveal is None:
            raise SecretNotStored(
                f"{happened} ({_reason(exc)}); IAM never shows it again.",
                parameter=self._parameter(exc),
                fix=again,
                step=step,
            ) from None
        self._show(**secret)
        where = f"nowhere: the store refused it ({_reason(exc)}); shown once in this panel only. {again}"
        return self._went(Placed(what, (where,), secret=key))

    # --- reading back ---------------------------------------------------------------------------

    def recorded(self, device: mfa.VirtualDevice, device_name: str) -> DeliveredDevice | None:
        """The seed of a waiting device as the store records it (this run's, or an earlier run's)."""
        found = self.store.pending_seed(self.user_name, device.serial, device.device_id)
        if found is None:
            return None
        uri = found.uri or register(mfa.otpauth_uri(found.seed, device_name, self.account_id))
        return DeliveredDevice(device.serial, found.seed, uri, found.where)

    def show_again(self, device: DeliveredDevice) -> None:
        """A waiting device's seed, read back from the store, to the reveal (the store has it already)."""
        self._show(mfa_seed=device.seed, mfa_otpauth_uri=device.uri)

    def locations(self) -> list[Placed]:
        """Where each secret of this run went, in order (a refused one says so)."""
        return list(self.went)

    def placed(self, key: Secret) -> Placed | None:
        """Where this run's latest secret of one kind went ('console', 'mfa' or 'codecommit')."""
        return next((p for p in reversed(self.locations()) if p.secret == key), None)

    def holds_console(self, user_name: str) -> bool:
        """Whether the store holds a console password of this user (an earlier run's): only that one is there.

        A user's existing password is the runbook's own only if an earlier run put it in the store
        (always before `CreateLoginProfile`); the value is not read out.
        """
        return self.store.holds_console(user_name)

    def held(self, user_name: str) -> list[Placed]:
        """Where the store holds each secret of this user now (the newest entry of each); no value is read out.

        For a front end whose secrets were put by other processes (the terminal's notebook runs), so its
        summary says where each one went as the notebook's does.
        """
        return self.store.held(user_name)

    def plain_files(self) -> list[Path]:
        """Files that hold one of this user's secrets in plain text: what the person must move, then delete."""
        return self.store.plain_files()

    def note(self, placed: Placed, shown: bool) -> str:
        """The report's line on where a secret went (its value never appears in a report)."""
        where = "Shown once in the panel, then cleared." if shown else "It is not shown in this notebook."
        return f"{placed.describe()}. {where}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RunbookError):
        return exc.message
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def _fix(exc: BaseException, default: str) -> str:
    return (exc.fix if isinstance(exc, RunbookError) else None) or default


@dataclass(frozen=True)
class DeliveredDevice:
    """A waiting device and its seed, read back from the store of the run that created it (`where`: which entry)."""

    serial: str
    seed: str
    uri: str
    where: str


def waiting_device(iam: IAMClient, user_name: str, device_name: str, delivery: Delivery) -> DeliveredDevice:
    """The device an earlier run left waiting for this user (read from IAM), with its seed from the store."""
    waiting = [d for d in mfa.find_pending(iam, user_name) if d.serial.endswith(f"/{device_name}")]
    for device in waiting:
        found = delivery.recorded(device, device_name)
        if found is not None:
            return found
    deferred = [d for d in waiting if d.deferred]
    if not deferred:
        raise RunbookError(
            f"No MFA device {device_name!r} is waiting to be enabled.",
            parameter="mfa",
            fix="Read the executed notebook's MFA section, then run again.",
        )
    serial = deferred[0].serial
    raise RunbookError(
        f"The seed of MFA device {serial} is not in the secrets store ({delivery.store.kind}).",
        parameter="secrets_store",
        fix="Run with the secrets_store (and secrets_dir, keepass_db or $PASSWORD_STORE_DIR) of the run that "
        f"created it, or delete the device (aws iam delete-virtual-mfa-device --serial-number {serial}) "
        "and run again.",
    )
