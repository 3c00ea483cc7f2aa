"""Secrets stores: where the console password, the MFA seed and the Git password go (issue 17).

`file` (the default) is the 0600 JSON secrets file and QR image; `keepass` a KDBX 4 database;
`pass` the standard Unix password manager. With `keepass` or `pass` nothing secret is written
anywhere else. The procedure opens one store per run once preflight knows the account, calls
`check()` before its first write, then one `put_*` per secret; the summary lists `locations()`.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import (
    DEFAULT_KEEPASS_DB,
    KEEPASS_PASSWORD_ENV,
    STORE_KINDS,
    STORE_PARAMETERS,
    Account,
    AskPassword,
    Pending,
    Placed,
    Secret,
    SecretStore,
    StoreError,
    StoreKind,
    StoreSettings,
    parse_settings,
)

__all__ = [
    "DEFAULT_KEEPASS_DB",
    "KEEPASS_PASSWORD_ENV",
    "STORE_KINDS",
    "STORE_PARAMETERS",
    "Account",
    "AskPassword",
    "Pending",
    "Placed",
    "Secret",
    "SecretStore",
    "StoreError",
    "StoreKind",
    "StoreSettings",
    "open_store",
    "parse_settings",
]


def open_store(
    settings: StoreSettings,
    account: Account,
    *,
    ask_password: AskPassword | None = None,
    qr_png: Callable[[str], bytes] | None = None,
) -> SecretStore:
    """The store the settings name, for this account; nothing is read or written until `check()`.

    `ask_password` is the front end's prompt for a KeePass master password (used only when
    $RUNBOOK_KEEPASS_PASSWORD and the key file do not open the database); `qr_png` renders the QR
    image that only the file store writes.
    """
    if settings.kind == "keepass":
        from .keepass import KeePassStore

        return KeePassStore(settings.keepass_db, settings.keepass_keyfile, account, ask_password)
    if settings.kind == "pass":
        from .passstore import PassStore

        return PassStore(account)
    from .file import FileStore

    return FileStore(settings.secrets_dir, account, qr_png)
