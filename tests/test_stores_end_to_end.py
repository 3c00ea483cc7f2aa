"""`runbook run -p secrets_store keepass|pass`, end to end, against a served sandbox (issue 17).

Each run is the real command: papermill, a kernel, the embedded procedure. Every entry is read back
with the password manager's own tool (`keepassxc-cli`, `pass`), never through the code under test;
the deferred flow's second run must find the seed in the store the first run used; and afterwards
every file the runs wrote (executed notebooks, HTML records, HOME, TMPDIR, the working tree) and
everything they printed is searched for each secret in plain, base64, hex and URL-encoded form.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError

from runbook_lib.stores import KEEPASS_PASSWORD_ENV
from tests.support.net import BIN, ROOT
from tests.support.stores import (
    MASTER,
    files_under,
    in_one_window,
    kpcli,
    leaks,
    read_all,
    require,
    totp_codes,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

pytestmark = pytest.mark.slow

PASSWORD = "Store-E2E-Passw0rd!-5d1c"
RUN_TIMEOUT = 300


@dataclass
class Runs:
    """`runbook run`s with HOME, TMPDIR, the records and the working directory under one test directory."""

    tmp: Path
    env: dict[str, str]
    out: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @property
    def home(self) -> Path:
        return Path(self.env["HOME"])

    def run(self, label: str, *params: str, **env: str) -> int:
        args = [str(BIN / "runbook"), "run", "--html", "--output-dir", str(self.tmp / "runs")]
        for name, value in zip(params[::2], params[1::2], strict=True):
            args += ["-p", name, value]
        done = subprocess.run(
            args, env={**self.env, **env}, cwd=self.tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
        self.out[f"{label} stdout"], self.out[f"{label} stderr"] = done.stdout, done.stderr
        return done.returncode

    def account_id(self, label: str) -> str:
        found = re.search(r"step 0 Preflight: root in (\d{12})", self.out[f"{label} stdout"])
        assert found, self.out[f"{label} stdout"] + self.out[f"{label} stderr"]
        return found.group(1)

    def notebook_text(self, label: str) -> str:
        """The text outputs of the executed notebook a run named on its last line."""
        path = re.search(r"Executed notebook: (\S+\.ipynb)", self.out[f"{label} stdout"])
        assert path, self.out[f"{label} stdout"]
        cells = json.loads(Path(path.group(1)).read_text())["cells"]
        outputs = [o for c in cells for o in c.get("outputs", [])]
        return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)

    def written(self, *, store: Path) -> dict[str, bytes]:
        """Every file the runs wrote outside the store, the working tree's changed files, and their output."""
        mine = files_under(self.tmp, skip=[store])
        tree = files_under(ROOT, skip=[ROOT / ".venv", ROOT / ".git", self.tmp], since=self.started)
        places = read_all([p for p in mine if p != store] + tree)
        places.update({name: text.encode() for name, text in self.out.items()})
        return places

    def plain_secret_files(self) -> list[str]:
        """What the file store would have written: a JSON secrets file or a PNG, anywhere the runs wrote."""
        return [str(p) for p in files_under(self.tmp) if p.suffix in (".json", ".png")]


@pytest.fixture
def runs(cli_env: dict[str, str], tmp_path: Path) -> Runs:
    (tmp_path / "tmpdir").mkdir()
    return Runs(tmp_path, {**cli_env, "TMPDIR": str(tmp_path / "tmpdir")})


@pytest.fixture
def keepass_runs(runs: Runs) -> Runs:
    require("keepassxc-cli")
    runs.env[KEEPASS_PASSWORD_ENV] = MASTER
    return runs


@pytest.fixture
def pass_runs(runs: Runs, gnupg_home: tuple[Path, str]) -> Runs:
    require("pass")
    home, fingerprint = gnupg_home
    runs.env.update(GNUPGHOME=str(home), PASSWORD_STORE_DIR=str(runs.tmp / "password-store"))
    subprocess.run(["pass", "init", fingerprint], env=runs.env, capture_output=True, check=True)
    return runs


@pytest.fixture
def iam(served_sandbox: str) -> IAMClient:
    return boto3.client(
        "iam", endpoint_url=served_sandbox, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def seed_of(uri: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]


def pass_show(runs: Runs, name: str) -> list[str]:
    shown = subprocess.run(["pass", "show", name], env=runs.env, capture_output=True, text=True, check=True)
    return shown.stdout.splitlines()


# --- keepass -------------------------------------------------------------------------------------


def keepass_secrets(db: Path, group: str, user: str) -> dict[str, str]:
    """Every secret of the user's entries, as keepassxc-cli reads them."""
    show = ["show", "-s", "-a", "UserName", "-a", "Password", "-a", "URL"]
    name, password, url = kpcli(db, *show, f"{group}/{user} console").splitlines()
    assert (name, password, url) == (user, PASSWORD, f"https://{group.split('/')[1]}.signin.aws.amazon.com/console")
    git_user, git_password, endpoint = kpcli(db, *show, f"{group}/{user} CodeCommit").splitlines()
    assert git_user.startswith(f"{user}-at-") and endpoint == "https://git-codecommit.us-east-1.amazonaws.com"
    uri, notes = kpcli(db, "show", "-s", "-a", "otp", "-a", "Notes", f"{group}/{user} MFA").split("\n", 1)
    assert uri.startswith("otpauth://totp/") and f"serial: arn:aws:iam::{group.split('/')[1]}:mfa/{user}" in notes
    return {"console password": PASSWORD, "Git password": git_password, "MFA seed": seed_of(uri), "otpauth URI": uri}


def test_keepass_run_puts_every_secret_in_the_database_and_nowhere_else(keepass_runs: Runs) -> None:
    runs = keepass_runs
    user = "kp-e2e"
    rc = runs.run(
        "run", "user_name", user, "secrets_store", "keepass", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD
    )
    assert rc == 0, runs.out["run stderr"]
    db = runs.home / ".runbook-secrets" / "aws.kdbx"  # the default keepass_db
    group = f"AWS/{runs.account_id('run')}"
    assert sorted(p.name for p in db.parent.iterdir()) == ["aws.kdbx"]
    assert kpcli(db, "ls", "-f", group).split("\n")[:3] == [f"{user} console", f"{user} MFA", f"{user} CodeCommit"]
    secrets = keepass_secrets(db, group, user)
    summary = runs.notebook_text("run")
    for entry in ("console", "MFA", "CodeCommit"):
        assert f"{db}, entry {group}/{user} {entry}" in summary
    assert "Move the secrets to a password manager" not in summary
    assert runs.plain_secret_files() == []
    secrets |= {"master password": MASTER} | totp_codes(secrets["MFA seed"], runs.started, time.time())
    places = runs.written(store=db)
    assert any(p.endswith(".html") for p in places) and any(p.endswith(".ipynb") for p in places)
    assert leaks(places, secrets) == []
    # the search can fail: it finds the password where it is in clear, in keepassxc-cli's answer
    shown = kpcli(db, "show", "-s", "-a", "Password", f"{group}/{user} console")
    assert leaks({"keepassxc-cli": shown.encode()}, secrets) == ["keepassxc-cli: console password"]


def test_keepass_defer_then_finish_with_keepassxcs_codes(keepass_runs: Runs, iam: IAMClient) -> None:
    """The second run finds the waiting device in IAM and its seed in the database; KeePassXC makes the codes."""
    runs = keepass_runs
    user = "kp-defer"
    params = ("user_name", user, "secrets_store", "keepass", "mfa_codes", "defer")
    assert runs.run("defer", *params, "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD) == 0, runs.out[
        "defer stderr"
    ]
    assert "step 6 MFA: device created; waiting for codes (defer)" in runs.out["defer stdout"]
    db = runs.home / ".runbook-secrets" / "aws.kdbx"
    group = f"AWS/{runs.account_id('defer')}"
    mfa_entry = f"{group}/{user} MFA"
    assert kpcli(db, "ls", "-f", group).split("\n")[:2] == [f"{user} console", f"{user} MFA"]

    for attempt in range(2):  # codes can expire while the second run starts its kernel, as in real life
        first, window = in_one_window(lambda: kpcli(db, "show", "--totp", mfa_entry))
        time.sleep(max(0.0, (window + 1) * 30 - time.time()) + 0.5)
        second, _ = in_one_window(lambda: kpcli(db, "show", "--totp", mfa_entry))
        label = f"finish{attempt}"
        rc = runs.run(label, *params, RUNBOOK_MFA_CODES=f"{first},{second}")
        if rc == 0:
            break
        assert "InvalidAuthenticationCode" in runs.out[f"{label} stderr"] or "codes" in runs.out[f"{label} stderr"]
    assert rc == 0, runs.out[f"{label} stderr"]
    assert "step 6 MFA: enabled" in runs.out[f"{label} stdout"]
    assert f"its seed is in {db}, entry {mfa_entry}" in runs.notebook_text(label)
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert not [d for d in unassigned if d["SerialNumber"].endswith(f":mfa/{user}")]  # the waiting one was used
    assert iam.list_mfa_devices(UserName=user)["MFADevices"][0]["SerialNumber"].endswith(f":mfa/{user}")
    secrets = keepass_secrets(db, group, user)
    assert kpcli(db, "ls", "-f", group).count(f"{user} console") == 1  # the kept password is not stored again
    secrets |= {"master password": MASTER} | totp_codes(secrets["MFA seed"], runs.started, time.time())
    assert runs.plain_secret_files() == []
    assert leaks(runs.written(store=db), secrets) == []


# --- pass ------------------------------------------------------------------------------------------


def pass_secrets(runs: Runs, folder: str, user: str, account_id: str) -> dict[str, str]:
    """Every secret of the user's entries, as `pass show` reads them."""
    console = pass_show(runs, f"{folder}/console")
    assert console == [PASSWORD, f"login: {user}", f"url: https://{account_id}.signin.aws.amazon.com/console"]
    git = pass_show(runs, f"{folder}/codecommit")
    assert git[1].startswith(f"login: {user}-at-") and git[2] == "url: https://git-codecommit.us-east-1.amazonaws.com"
    uri, *rest = pass_show(runs, f"{folder}/mfa")
    assert uri.startswith("otpauth://totp/") and f"serial: arn:aws:iam::{account_id}:mfa/{user}" in rest
    return {"console password": PASSWORD, "Git password": git[0], "MFA seed": seed_of(uri), "otpauth URI": uri}


def test_pass_run_puts_every_secret_in_the_store_and_nowhere_else(pass_runs: Runs) -> None:
    runs = pass_runs
    user = "pass-e2e"
    rc = runs.run(
        "run", "user_name", user, "secrets_store", "pass", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD
    )
    assert rc == 0, runs.out["run stderr"]
    account_id = runs.account_id("run")
    folder = f"aws/{account_id}/{user}"
    store = runs.tmp / "password-store"
    entries = sorted(p.relative_to(store).as_posix() for p in store.rglob("*.gpg"))
    assert entries == [f"{folder}/codecommit.gpg", f"{folder}/console.gpg", f"{folder}/mfa.gpg"]
    secrets = pass_secrets(runs, folder, user, account_id)
    code, window = in_one_window(lambda: subprocess.run(
        ["pass", "otp", f"{folder}/mfa"], env=runs.env, capture_output=True, text=True, check=True
    ).stdout)  # fmt: skip
    assert code == pyotp.TOTP(secrets["MFA seed"]).at(window * 30)  # pass otp reads the entry as stored
    summary = runs.notebook_text("run")
    for entry in ("console", "mfa", "codecommit"):
        assert f"pass {folder}/{entry} ({store / folder / entry}.gpg)" in summary
    assert not (runs.home / ".runbook-secrets").exists()
    assert runs.plain_secret_files() == []
    secrets |= totp_codes(secrets["MFA seed"], runs.started, time.time())
    assert leaks(runs.written(store=store), secrets) == []


def test_pass_defer_then_finish_reads_the_seed_back_from_the_store(pass_runs: Runs, iam: IAMClient) -> None:
    runs = pass_runs
    user = "pass-defer"
    params = ("user_name", user, "secrets_store", "pass", "mfa_codes", "defer")
    assert runs.run("defer", *params, "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD) == 0, runs.out[
        "defer stderr"
    ]
    account_id = runs.account_id("defer")
    folder = f"aws/{account_id}/{user}"
    seed = seed_of(pass_show(runs, f"{folder}/mfa")[0])
    totp = pyotp.TOTP(seed)
    codes = f"{totp.at(time.time() - 30)},{totp.now()}"
    assert runs.run("finish", *params, RUNBOOK_MFA_CODES=codes) == 0, runs.out["finish stderr"]
    assert "step 6 MFA: enabled" in runs.out["finish stdout"]
    assert f"its seed is in pass {folder}/mfa" in runs.notebook_text("finish")
    assert len(iam.list_mfa_devices(UserName=user)["MFADevices"]) == 1
    secrets = pass_secrets(runs, folder, user, account_id) | totp_codes(seed, runs.started, time.time())
    assert runs.plain_secret_files() == []
    assert leaks(runs.written(store=runs.tmp / "password-store"), secrets) == []


@pytest.mark.parametrize("state", ["no .gpg-id", "no store at all"])
def test_an_uninitialised_pass_store_stops_the_run_in_preflight(pass_runs: Runs, iam: IAMClient, state: str) -> None:
    runs = pass_runs
    store = runs.tmp / "password-store"
    (store / ".gpg-id").unlink()
    if state == "no store at all":
        store.rmdir()
    user = f"pass-uninit-{'dir' if store.exists() else 'none'}"
    assert runs.run("run", "user_name", user, "secrets_store", "pass") != 0
    assert "pass init" in runs.out["run stderr"] and "secrets_store" in runs.out["run stderr"]
    assert "step 1" not in runs.out["run stdout"]
    with pytest.raises(ClientError) as missing:
        iam.get_user(UserName=user)
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert not [d for d in devices if d["SerialNumber"].endswith(f"/{user}")]
    assert not store.exists() or sorted(os.listdir(store)) == []  # nothing made in it either
