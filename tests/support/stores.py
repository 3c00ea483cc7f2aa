"""What the secrets-store tests share: the real tools, and reading entries back with them.

The tests drive Debian's own `keepassxc-cli`, `pass`, `pass otp` and `gpg`. Missing tools fail the
test with the install hint (`make password-managers`), so CI cannot pass by skipping them; set
RUNBOOK_SKIP_PASSWORD_MANAGERS=1 to skip them knowingly. The fixtures (a throwaway GnuPG home, an
initialised password store) are in tests/conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pyotp
import pytest

from runbook_lib.mfa import otpauth_uri
from runbook_lib.secrets import encodings
from runbook_lib.stores import Account

OPT_OUT = "RUNBOOK_SKIP_PASSWORD_MANAGERS"
TOOLS = {
    "keepassxc-cli": "keepassxc",
    "pass": "pass",
    "gpg": "gnupg",
    "oathtool": "oathtool",
}
PASS_OTP = Path("/usr/lib/password-store/extensions/otp.bash")

ACCOUNT = Account("123456789012", "alice", "https://123456789012.signin.aws.amazon.com/console")
SERIAL = "arn:aws:iam::123456789012:mfa/alice"
ENDPOINT = "https://git-codecommit.us-east-1.amazonaws.com"
MASTER = "Master-Passw0rd-of-the-test-db"


def require(*commands: str) -> None:
    """Fail (never skip silently) when a tool is missing, naming the package and the make target."""
    if "pass" in commands:  # and what `pass otp` needs
        commands += ("gpg", "oathtool")
    missing = [TOOLS[c] for c in dict.fromkeys(commands) if shutil.which(c) is None]
    if "pass" in commands and not PASS_OTP.exists():
        missing.append("pass-extension-otp")
    if not missing:
        return
    message = (
        f"missing: {' '.join(missing)}. Run `make password-managers` "
        f"(apt-get install {' '.join(missing)}), or set {OPT_OUT}=1 to skip these tests."
    )
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1; {message}")
    pytest.fail(message, pytrace=False)


def new_gnupg_home() -> tuple[Path, str]:
    """A GnuPG home with one passphrase-less key, and the key's fingerprint.

    A short path under /tmp: gpg-agent's socket path must fit in 108 bytes.
    """
    require("gpg")
    home = Path(tempfile.mkdtemp(prefix="rb-gpg-"))
    env = {**os.environ, "GNUPGHOME": str(home)}
    params = (
        "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\n"
        "Name-Real: Runbook Test\nName-Email: runbook-test@example.invalid\nExpire-Date: 0\n%commit\n"
    )
    subprocess.run(["gpg", "--batch", "--quiet", "--gen-key"], input=params.encode(), env=env, check=True)
    listing = subprocess.run(["gpg", "--list-keys", "--with-colons"], env=env, capture_output=True, check=True)
    fingerprint = next(line.split(":")[9] for line in listing.stdout.decode().splitlines() if line.startswith("fpr"))
    return home, fingerprint


def drop_gnupg_home(home: Path) -> None:
    """Stop the home's gpg-agent, then remove it."""
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(home)}, check=False)
    shutil.rmtree(home, ignore_errors=True)


def new_seed() -> tuple[str, str]:
    """A fresh seed and its otpauth URI, as the runbook makes them."""
    seed = pyotp.random_base32()
    return seed, otpauth_uri(seed, ACCOUNT.user_name, ACCOUNT.account_id)


def pass_cli(*args: str) -> str:
    return subprocess.run(["pass", *args], capture_output=True, check=True, text=True).stdout


def kpcli(db: Path, *args: str, password: str | None = MASTER, keyfile: Path | None = None) -> str:
    """`keepassxc-cli COMMAND -q [key options] DB ARGS...`, the password on standard input."""
    command, *rest = args
    key = ["--key-file", str(keyfile)] if keyfile else []
    if password is None:
        key.append("--no-password")
    done = subprocess.run(
        ["keepassxc-cli", command, "-q", *key, str(db), *rest],
        input=f"{password}\n" if password is not None else "",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def in_one_window(read: Callable[[], str]) -> tuple[str, int]:
    """A code read by a tool, with the 30-second window it belongs to (read again if the window turned)."""
    while True:
        before = int(time.time()) // 30
        code = read().strip()
        if int(time.time()) // 30 == before:
            return code, before


# --- end-to-end runs: what a `runbook run` wrote, searched for every secret ----------------------


def files_under(*roots: Path, skip: Iterable[Path] = (), since: float = 0) -> list[Path]:
    """Every file below the roots (changed since `since`), not descending into the skipped directories."""
    skipped = {str(s.resolve()) for s in skip}
    found = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if str((Path(folder) / d).resolve()) not in skipped]
            for name in names:
                path = Path(folder) / name
                try:
                    if path.is_file() and path.stat().st_mtime >= since:
                        found.append(path)
                except OSError:
                    continue  # gone meanwhile: another process's file
    return found


def totp_codes(seed: str, started: float, ended: float) -> dict[str, str]:
    """Every code of the seed over the runs' span (with a margin): a code is a secret while it is valid."""
    totp = pyotp.TOTP(seed)
    return {f"code@{t}": totp.at(t) for t in range(int(started) - 60, int(ended) + 60, 30)}


def leaks(places: dict[str, bytes], secrets: dict[str, str]) -> list[str]:
    """'place: secret name' for each secret found in any of its encoded forms (a code only standing alone)."""
    hits = []
    for place, data in places.items():
        for name, value in secrets.items():
            if name.startswith("code@"):
                if re.search(rb"(?<![0-9A-Za-z])" + value.encode() + rb"(?![0-9A-Za-z])", data):
                    hits.append(f"{place}: {name}")
            elif any(form.encode() in data for form in encodings(value)):
                hits.append(f"{place}: {name}")
    return hits


def read_all(paths: Iterable[Path]) -> dict[str, bytes]:
    places = {}
    for path in paths:
        try:
            places[str(path)] = path.read_bytes()
        except OSError:
            continue
    return places
