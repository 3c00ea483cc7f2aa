"""Secrets stores (issue 17): each entry read back with the password manager's own tool.

KeePass entries are read with Debian's `keepassxc-cli` (KeePassXC's own parser and TOTP code),
pass entries with `pass show` and `pass otp`; nothing is read back through the code under test.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest

from runbook_lib import mfa
from runbook_lib.errors import InputError
from runbook_lib.stores import (
    DEFAULT_KEEPASS_DB,
    KEEPASS_PASSWORD_ENV,
    STORE_PARAMETERS,
    Account,
    SecretStore,
    StoreSettings,
    open_store,
    parse_settings,
)
from tests.support.stores import (
    ACCOUNT,
    ENDPOINT,
    MASTER,
    SERIAL,
    in_one_window,
    kpcli,
    new_seed,
    pass_cli,
    require,
)

GROUP = f"AWS/{ACCOUNT.account_id}"
PASSWORD = "Console-Passw0rd-abc123!"
GIT_USER = "alice-at-123456789012"
GIT_PASSWORD = "GitPass+word/abc123def456="


def fill(store: SecretStore) -> tuple[str, str]:
    """Put one of each secret; return the MFA seed and URI."""
    seed, uri = new_seed()
    store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    store.put_mfa("alice", SERIAL, seed, uri)
    store.put_codecommit("alice", GIT_USER, GIT_PASSWORD, ENDPOINT)
    return seed, uri


# --- parameters ------------------------------------------------------------------------------------


def test_the_default_store_is_the_file_and_every_store_parameter_has_a_default() -> None:
    assert parse_settings({}) == StoreSettings("file", "~/.runbook-secrets", DEFAULT_KEEPASS_DB, "")
    assert parse_settings(STORE_PARAMETERS).kind == "file"
    assert parse_settings({"secrets_store": "pass"}).kind == "pass"


@pytest.mark.parametrize(
    ("values", "parameter"),
    [
        ({"secrets_store": "1password"}, "secrets_store"),
        ({"secrets_store": "file", "keepass_keyfile": "/etc/hostname"}, "keepass_keyfile"),
        ({"secrets_store": "pass", "keepass_db": "/tmp/x.kdbx"}, "keepass_db"),
        ({"secrets_store": "keepass", "keepass_db": ""}, "keepass_db"),
        ({"secrets_store": "keepass", "keepass_db": "/tmp"}, "keepass_db"),
        ({"secrets_store": "keepass", "keepass_keyfile": "/no/such/key.keyx"}, "keepass_keyfile"),
        ({"secrets_store": "keepass", "keepass_db": ["a.kdbx"]}, "keepass_db"),
    ],
)
def test_bad_store_parameters_are_refused_naming_the_parameter(values: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(values)
    assert caught.value.parameter == parameter
    assert caught.value.fix


# --- file ------------------------------------------------------------------------------------------


def test_file_store_writes_the_users_secrets_file_and_qr_image(tmp_path: Path) -> None:
    store = open_store(StoreSettings("file", str(tmp_path / "s")), ACCOUNT, qr_png=mfa.qr_png)
    store.check()
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o700
    seed, uri = fill(store)
    (path,) = (tmp_path / "s").glob("*.json")
    assert path.name == f"alice@{ACCOUNT.account_id}.json"
    values = json.loads(path.read_text())
    assert {k: v for k, v in values.items() if k != "runs"} == {
        "user_name": "alice",
        "account_id": ACCOUNT.account_id,
        "console_signin_url": ACCOUNT.signin_url,
        "console_password": PASSWORD,
        "mfa_serial": SERIAL,
        "mfa_seed": seed,
        "mfa_otpauth_uri": uri,
        "codecommit_username": GIT_USER,
        "codecommit_password": GIT_PASSWORD,
    }
    png = path.with_suffix(".qr.png")
    assert png.read_bytes() == mfa.qr_png(uri)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (path, png)} == {0o600}
    assert [p.where for p in store.locations()] == [(str(path),), (str(path), str(png)), (str(path),)]
    assert [p.secret for p in store.locations()] == ["console", "mfa", "codecommit"]
    assert all(p.plain for p in store.locations())
    assert store.plain_files() == [path, png]


def test_file_store_reads_back_the_seed_of_this_very_device(tmp_path: Path) -> None:
    """By serial and id tag: IAM gives a device made again under the same name the same serial."""
    settings = StoreSettings("file", str(tmp_path))
    old_seed, old_uri = new_seed()
    open_store(settings, ACCOUNT).put_mfa("alice", SERIAL, old_seed, old_uri, "id-old")
    seed, uri = new_seed()
    open_store(settings, ACCOUNT).put_mfa("alice", SERIAL, seed, uri, "id-new")  # the old one goes to `earlier`
    store = open_store(settings, ACCOUNT)
    pending = store.pending_seed("alice", SERIAL, "id-new")
    assert pending is not None and (pending.seed, pending.uri) == (seed, uri)
    older = store.pending_seed("alice", SERIAL, "id-old")
    assert older is not None and older.seed == old_seed
    assert store.pending_seed("alice", SERIAL, "id-other") is None
    assert store.pending_seed("alice", SERIAL.replace("alice", "bob")) is None


# --- keepass -------------------------------------------------------------------------------------


@pytest.fixture
def kdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    require("keepassxc-cli")
    monkeypatch.setenv(KEEPASS_PASSWORD_ENV, MASTER)
    return tmp_path / "secrets" / "aws.kdbx"


def keepass(db: Path, **kwargs: Any) -> SecretStore:
    return open_store(StoreSettings("keepass", keepass_db=str(db), **kwargs), ACCOUNT)


def test_keepass_creates_a_kdbx4_database_that_keepassxc_reads_entry_by_entry(kdb: Path) -> None:
    store = keepass(kdb)
    store.check()
    assert not kdb.exists()  # preflight writes nothing
    seed, uri = fill(store)
    assert stat.S_IMODE(kdb.stat().st_mode) == 0o600
    assert stat.S_IMODE(kdb.parent.stat().st_mode) == 0o700
    assert sorted(os.listdir(kdb.parent)) == ["aws.kdbx"]  # no temporary file left beside it
    assert kdb.read_bytes()[:12].hex() == "03d9a29a67fb4bb500000400"  # KDBX signature, format 4.0
    assert kpcli(kdb, "ls", "-R", "-f").split() == [
        "AWS/",
        f"{GROUP}/",
        f"{GROUP}/alice",
        "console",
        f"{GROUP}/alice",
        "MFA",
        f"{GROUP}/alice",
        "CodeCommit",
    ]
    show = ["show", "-s", "-a", "UserName", "-a", "Password", "-a", "URL"]
    assert kpcli(kdb, *show, f"{GROUP}/alice console").splitlines() == ["alice", PASSWORD, ACCOUNT.signin_url]
    assert kpcli(kdb, *show, f"{GROUP}/alice CodeCommit").splitlines() == [GIT_USER, GIT_PASSWORD, ENDPOINT]
    mfa_entry = f"{GROUP}/alice MFA"
    assert kpcli(kdb, "show", "-s", "-a", "otp", "-a", "Notes", mfa_entry).splitlines() == [uri, f"serial: {SERIAL}"]
    code, window = in_one_window(lambda: kpcli(kdb, "show", "--totp", mfa_entry))
    assert code == pyotp.TOTP(seed).at(window * 30)


def test_keepass_adds_to_a_database_keepassxc_made_and_overwrites_nothing(kdb: Path) -> None:
    kdb.parent.mkdir()
    created = subprocess.run(
        ["keepassxc-cli", "db-create", "-q", "--set-password", str(kdb)], input=f"{MASTER}\n{MASTER}\n", text=True
    )
    assert created.returncode == 0
    kpcli(kdb, "mkdir", "AWS")
    kpcli(kdb, "mkdir", GROUP)
    added = subprocess.run(
        ["keepassxc-cli", "add", "-q", "-u", "alice", "-p", str(kdb), f"{GROUP}/alice console"],
        input=f"{MASTER}\nthe-old-password-1\n",
        text=True,
    )
    assert added.returncode == 0
    os.chmod(kdb, 0o644)
    store = keepass(kdb)
    store.check()
    placed = store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    again = store.put_console("alice", "Yet-another-passw0rd!", ACCOUNT.signin_url)
    titles = kpcli(kdb, "ls", "-f", GROUP).splitlines()
    assert titles[0] == "alice console"
    assert len(titles) == 3 and all(t.startswith("alice console (") for t in titles[1:])
    assert (placed.beside, again.beside) == ("alice console", "alice console")
    assert "added beside the existing 'alice console'" in placed.describe()
    got = [kpcli(kdb, "show", "-s", "-a", "Password", f"{GROUP}/{t}").strip() for t in titles]
    assert got == ["the-old-password-1", PASSWORD, "Yet-another-passw0rd!"]
    assert stat.S_IMODE(kdb.stat().st_mode) == 0o600


def test_keepass_without_a_master_key_fails_in_preflight_and_writes_nothing(
    kdb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEEPASS_PASSWORD_ENV)
    with pytest.raises(InputError) as caught:
        keepass(kdb).check()
    assert caught.value.parameter == "keepass_db" and KEEPASS_PASSWORD_ENV in str(caught.value.fix)
    assert not kdb.exists()


def test_keepass_wrong_master_password_fails_in_preflight(kdb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keepass(kdb).put_console("alice", PASSWORD, ACCOUNT.signin_url)
    before = kdb.read_bytes()
    monkeypatch.setenv(KEEPASS_PASSWORD_ENV, "not-the-master-password")
    with pytest.raises(InputError) as caught:
        keepass(kdb).check()
    assert caught.value.parameter == "keepass_db"
    assert kdb.read_bytes() == before


def test_keepass_asks_the_front_end_for_the_master_password(kdb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEPASS_PASSWORD_ENV)
    asked: list[tuple[Path, bool]] = []

    def ask(db: Path, creating: bool) -> str:
        asked.append((db, creating))
        return MASTER

    settings = StoreSettings("keepass", keepass_db=str(kdb))
    store = open_store(settings, ACCOUNT, ask_password=ask)
    store.check()
    store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    open_store(settings, ACCOUNT, ask_password=ask).check()
    assert asked == [(kdb, True), (kdb, False)]  # once per run, and only the first run creates
    assert kpcli(kdb, "show", "-s", "-a", "Password", f"{GROUP}/alice console").strip() == PASSWORD


def test_keepass_with_a_key_file_alone(kdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEPASS_PASSWORD_ENV)
    keyfile = tmp_path / "aws.keyx"
    keyfile.write_bytes(os.urandom(64))
    store = keepass(kdb, keepass_keyfile=str(keyfile))
    store.check()
    store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    got = kpcli(kdb, "show", "-s", "-a", "Password", f"{GROUP}/alice console", password=None, keyfile=keyfile)
    assert got.strip() == PASSWORD


def test_keepass_asks_for_the_password_when_the_key_file_alone_does_not_open_it(
    kdb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyfile = tmp_path / "aws.keyx"
    keyfile.write_bytes(os.urandom(64))
    keepass(kdb, keepass_keyfile=str(keyfile)).put_console("alice", PASSWORD, ACCOUNT.signin_url)  # both keys
    monkeypatch.delenv(KEEPASS_PASSWORD_ENV)
    asked: list[bool] = []

    def ask(db: Path, creating: bool) -> str:
        asked.append(creating)
        return MASTER

    settings = StoreSettings("keepass", keepass_db=str(kdb), keepass_keyfile=str(keyfile))
    store = open_store(settings, ACCOUNT, ask_password=ask)
    store.check()
    assert asked == [False]
    store.put_codecommit("alice", GIT_USER, GIT_PASSWORD, ENDPOINT)
    got = kpcli(kdb, "show", "-s", "-a", "Password", f"{GROUP}/alice CodeCommit", keyfile=keyfile)
    assert got.strip() == GIT_PASSWORD


def test_keepass_reads_back_the_newest_seed_of_a_device(kdb: Path) -> None:
    keepass(kdb).put_mfa("alice", SERIAL, *new_seed())
    seed, uri = new_seed()
    store = keepass(kdb)
    placed = store.put_mfa("alice", SERIAL, seed, uri)  # the device re-created: same serial, new seed
    assert placed.beside == "alice MFA"
    pending = keepass(kdb).pending_seed("alice", SERIAL)
    assert pending is not None and (pending.seed, pending.uri) == (seed, uri)
    assert keepass(kdb).pending_seed("bob", SERIAL) is None


def test_keepass_tells_devices_of_one_serial_apart_by_their_id_tag(kdb: Path) -> None:
    seed, uri = new_seed()
    keepass(kdb).put_mfa("alice", SERIAL, seed, uri, "id-1")
    keepass(kdb).put_mfa("alice", SERIAL, *new_seed())  # an entry without an id is no tagged device's
    notes = kpcli(kdb, "show", "-s", "-a", "Notes", f"{GROUP}/alice MFA").splitlines()
    assert notes == [f"serial: {SERIAL}", "device id: id-1"]
    pending = keepass(kdb).pending_seed("alice", SERIAL, "id-1")
    assert pending is not None and pending.seed == seed
    assert keepass(kdb).pending_seed("alice", SERIAL, "id-2") is None


def test_keepass_refuses_a_file_that_is_not_a_database(kdb: Path) -> None:
    kdb.parent.mkdir()
    kdb.write_text("not a database")
    with pytest.raises(InputError) as caught:
        keepass(kdb).check()
    assert caught.value.parameter == "keepass_db"


# --- pass ------------------------------------------------------------------------------------------


def passes(store_dir: Path) -> SecretStore:
    return open_store(StoreSettings("pass"), ACCOUNT)


def test_pass_entries_read_back_with_pass_show_and_pass_otp(pass_store: Path) -> None:
    store = passes(pass_store)
    assert len(store.check()) == 1  # no warning: pass-otp and oathtool are there
    seed, uri = fill(store)
    folder = f"aws/{ACCOUNT.account_id}/alice"
    assert pass_cli("show", f"{folder}/console") == f"{PASSWORD}\nlogin: alice\nurl: {ACCOUNT.signin_url}\n"
    assert pass_cli("show", f"{folder}/codecommit") == f"{GIT_PASSWORD}\nlogin: {GIT_USER}\nurl: {ENDPOINT}\n"
    assert pass_cli("show", f"{folder}/mfa").splitlines()[0] == uri
    code, window = in_one_window(lambda: pass_cli("otp", f"{folder}/mfa"))
    assert code == pyotp.TOTP(seed).at(window * 30)
    files = sorted(p.relative_to(pass_store).as_posix() for p in pass_store.rglob("*") if p.is_file())
    assert files == [".gpg-id", f"{folder}/codecommit.gpg", f"{folder}/console.gpg", f"{folder}/mfa.gpg"]


def test_pass_overwrites_nothing_and_reads_back_the_newest_seed(pass_store: Path) -> None:
    folder = f"aws/{ACCOUNT.account_id}/alice"
    passes(pass_store).put_mfa("alice", SERIAL, *new_seed())
    store = passes(pass_store)
    first = store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    second = store.put_console("alice", "Second-passw0rd-xyz!", ACCOUNT.signin_url)
    seed, uri = new_seed()
    third = store.put_mfa("alice", SERIAL, seed, uri)
    assert (first.beside, second.beside, third.beside) == ("", f"{folder}/console", f"{folder}/mfa")
    assert pass_cli("show", f"{folder}/console").splitlines()[0] == PASSWORD
    assert pass_cli("show", f"{folder}/console-2").splitlines()[0] == "Second-passw0rd-xyz!"
    pending = passes(pass_store).pending_seed("alice", SERIAL)
    assert pending is not None and (pending.seed, pending.uri) == (seed, uri)


def test_pass_tells_devices_of_one_serial_apart_by_their_id_tag(pass_store: Path) -> None:
    folder = f"aws/{ACCOUNT.account_id}/alice"
    seed, uri = new_seed()
    passes(pass_store).put_mfa("alice", SERIAL, seed, uri, "id-1")
    passes(pass_store).put_mfa("alice", SERIAL, *new_seed())  # newer, but without an id
    assert pass_cli("show", f"{folder}/mfa").splitlines()[1:] == [
        "login: alice",
        f"serial: {SERIAL}",
        "device id: id-1",
    ]
    pending = passes(pass_store).pending_seed("alice", SERIAL, "id-1")
    assert pending is not None and pending.seed == seed
    assert passes(pass_store).pending_seed("alice", SERIAL, "id-2") is None


def test_pass_uninitialised_store_fails_in_preflight(pass_store: Path) -> None:
    (pass_store / ".gpg-id").unlink()
    with pytest.raises(InputError) as caught:
        passes(pass_store).check()
    assert caught.value.parameter == "secrets_store" and "pass init" in str(caught.value.fix)


def test_pass_missing_binary_fails_in_preflight(pass_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(pass_store))  # a PATH with no pass on it
    with pytest.raises(InputError) as caught:
        passes(pass_store).check()
    assert caught.value.parameter == "secrets_store" and "apt-get install pass" in str(caught.value.fix)


def test_pass_store_whose_key_gpg_lacks_fails_in_preflight(pass_store: Path) -> None:
    (pass_store / ".gpg-id").write_text("0123456789ABCDEF0123456789ABCDEF01234567\n")
    with pytest.raises(InputError) as caught:
        passes(pass_store).check()
    assert caught.value.parameter == "secrets_store" and "gpg" in str(caught.value.fix)


def test_pass_honours_a_gpg_id_of_a_subfolder(pass_store: Path, gnupg_home: tuple[Path, str]) -> None:
    (pass_store / ".gpg-id").unlink()
    (pass_store / "aws").mkdir()
    (pass_store / "aws" / ".gpg-id").write_text(f"{gnupg_home[1]}  # the AWS key\n")
    store = passes(pass_store)
    store.check()
    store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    assert pass_cli("show", f"aws/{ACCOUNT.account_id}/alice/console").startswith(PASSWORD)


def test_pass_gets_secrets_on_stdin_never_in_its_arguments(pass_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argvs: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args: list[str], *a: Any, **kw: Any) -> Any:
        argvs.append(list(args))
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", recording_run)
    store = passes(pass_store)
    store.check()
    seed, uri = fill(store)
    store.pending_seed("alice", SERIAL)
    assert any(a[:2] == ["pass", "insert"] for a in argvs)
    words = " ".join(" ".join(a) for a in argvs)
    for secret in (PASSWORD, GIT_PASSWORD, seed, uri):
        assert secret not in words


# --- where each store holds a user's secrets (a front end whose notebook runs put them) ----------


@pytest.fixture(params=["file", "keepass", "pass"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., SecretStore]:
    """Open the store of one kind afresh, as another process would (no memory of what was put)."""
    kind = request.param
    if kind == "keepass":
        db = request.getfixturevalue("kdb")
        return lambda account=ACCOUNT: open_store(StoreSettings("keepass", keepass_db=str(db)), account)
    if kind == "pass":
        request.getfixturevalue("pass_store")
        return lambda account=ACCOUNT: open_store(StoreSettings("pass"), account)
    settings = StoreSettings("file", str(tmp_path / "secrets"))
    return lambda account=ACCOUNT: open_store(settings, account, qr_png=mfa.qr_png)


def test_every_store_names_the_newest_entry_of_each_secret_of_the_user_for_another_process(
    opener: Callable[..., SecretStore],
) -> None:
    """`held` is what the terminal's summary names: the notebook runs that put the secrets were other processes."""
    assert opener().held("alice") == []
    writer = opener()
    seed, uri = fill(writer)
    writer.put_console("alice", "Second-passw0rd-xyz!", ACCOUNT.signin_url)  # beside the first, or replacing it
    bob = Account(ACCOUNT.account_id, "bob", ACCOUNT.signin_url)
    opener(bob).put_codecommit("bob", "bob-at-123456789012", "Bobs-Git-passw0rd=", ENDPOINT)
    newest = {p.secret: p for p in writer.locations()}
    held = opener().held("alice")
    assert held == [newest["console"], newest["mfa"], newest["codecommit"]]
    assert [p.secret for p in opener(bob).held("bob")] == ["codecommit"]
    assert opener().held("carol") == []
    other_account = Account("210987654321", "alice", "https://210987654321.signin.aws.amazon.com/console")
    assert opener(other_account).held("alice") == []
    text = " ".join(p.describe() for p in held)
    for secret in (PASSWORD, "Second-passw0rd-xyz!", GIT_PASSWORD, seed, uri):
        assert secret not in text


def test_keepass_names_a_second_entry_as_added_beside_the_first(kdb: Path) -> None:
    keepass(kdb).put_console("alice", PASSWORD, ACCOUNT.signin_url)
    again = keepass(kdb).put_mfa("alice", SERIAL, *new_seed())
    later = keepass(kdb).put_console("alice", "Second-passw0rd-xyz!", ACCOUNT.signin_url)
    console, mfa_entry = keepass(kdb).held("alice")
    assert console == later and console.beside == "alice console"
    assert console.where[0].startswith(f"{kdb}, entry {GROUP}/alice console (")
    assert mfa_entry == again and mfa_entry.where == (f"{kdb}, entry {GROUP}/alice MFA",)


def test_pass_names_its_entries_without_decrypting_any(pass_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = f"aws/{ACCOUNT.account_id}/alice"
    store = passes(pass_store)
    fill(store)
    store.put_console("alice", "Second-passw0rd-xyz!", ACCOUNT.signin_url)

    def no_subprocess(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"held() ran {args[0]!r}")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    held = passes(pass_store).held("alice")
    assert [p.where for p in held] == [
        (f"pass {folder}/console-2 ({pass_store}/{folder}/console-2.gpg)",),
        (f"pass {folder}/mfa ({pass_store}/{folder}/mfa.gpg)",),
        (f"pass {folder}/codecommit ({pass_store}/{folder}/codecommit.gpg)",),
    ]
    assert [p.beside for p in held] == [f"{folder}/console", "", ""]


def test_file_store_names_the_users_newest_file_and_its_qr_image(tmp_path: Path) -> None:
    """A file an older run named by run counts too, but the newest file holding a secret is named."""
    old = tmp_path / "run-0123abcd.json"
    old.write_text(json.dumps({"user_name": "alice", "account_id": ACCOUNT.account_id, "console_password": "x"}))
    old.chmod(0o600)
    os.utime(old, (1_700_000_000, 1_700_000_000))
    settings = StoreSettings("file", str(tmp_path))
    fill(open_store(settings, ACCOUNT, qr_png=mfa.qr_png))
    path = tmp_path / f"alice@{ACCOUNT.account_id}.json"
    held = open_store(settings, ACCOUNT).held("alice")
    assert [(p.secret, p.where, p.plain) for p in held] == [
        ("console", (str(path),), True),
        ("mfa", (str(path), str(path.with_suffix(".qr.png"))), True),
        ("codecommit", (str(path),), True),
    ]
    assert "QR image" in held[1].describe() and "plain text" in held[1].describe()
