"""The secrets directory (`secrets_dir`): checked before anything is written, made 0700, and proved to have room.

Nothing is repaired: a directory the runbook did not create is refused with the fix (its owner, its
mode, a directory above it others can write to, a git work tree that would commit it), never changed.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from pathlib import Path

from .errors import InputError, StorageError
from .intake import resolve_path


def _refuse(path: Path, reason: str, fix: str) -> InputError:
    return InputError(f"The secrets directory {str(path)!r} {reason}", parameter="secrets_dir", fix=fix)


OWN_DIRECTORY = "Set secrets_dir to a directory of your own, e.g. ~/.runbook-secrets (created 0700 if missing)."


def check_secrets_dir(value: str | Path) -> Path:
    """Check `secrets_dir` without changing anything; return it resolved, or raise `InputError`.

    An existing directory must be the user's, with no group or other permission; the directories
    above it must be the user's or root's and writable by no one else (unless sticky, as /tmp is);
    and it must not be in a git work tree that does not ignore it. Nothing is repaired: the runbook
    does not change a directory it did not create.
    """
    path = resolve_path(value)
    existing = next(p for p in (path, *path.parents) if os.path.lexists(p))
    real = Path(os.path.realpath(existing))
    above = real.parents if existing == path else (real, *real.parents)
    for parent in above:
        info = os.stat(parent)
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(path, f"cannot be written: {str(parent)!r} is not a directory.", OWN_DIRECTORY)
        others_write = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
        if info.st_uid not in (0, os.getuid()) or others_write:
            raise _refuse(
                path,
                f"is below {str(parent)!r} (mode {stat.S_IMODE(info.st_mode):04o}, owner uid {info.st_uid}), "
                "which others can write to: they could put a directory of their own in its place.",
                OWN_DIRECTORY,
            )
    if existing == path:
        info = os.stat(path)
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(path, "exists and is not a directory.", OWN_DIRECTORY)
        if info.st_uid != os.getuid():
            raise _refuse(
                path,
                f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()}): its owner can read the secrets.",
                OWN_DIRECTORY,
            )
        if info.st_mode & 0o077:
            raise _refuse(
                path,
                f"has mode {stat.S_IMODE(info.st_mode):04o}: its group or others can reach the secrets in it.",
                f"If it is yours to change, run `chmod 700 {path}`; or set secrets_dir to another directory. "
                "The runbook does not change the mode of a directory it did not create.",
            )
    exposed = _git_exposure(real / path.relative_to(existing), real)
    if exposed:
        raise _refuse(path, *exposed)
    return path


def _git_exposure(path: Path, existing: Path) -> tuple[str, str] | None:
    """Why `path` could end up in a commit, as (reason, fix): a git work tree holds it and does not
    ignore it. `existing` is `path` or its nearest existing ancestor; both resolved."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES")}
    outside = "Set secrets_dir to a directory outside the work tree, e.g. ~/.runbook-secrets"
    try:
        top = subprocess.run(
            ["git", "-c", "safe.directory=*", "-C", str(existing), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            env=env,
        )
    except OSError:  # git is not installed: look for a work tree by hand below
        top = None
    if top is not None and top.returncode == 0:
        root = Path(top.stdout.strip())
        relative = os.path.relpath(path, root)
        check = ["git", "-c", "safe.directory=*", "-C", str(root), "check-ignore", "-q", "--", f"{relative}/"]
        if subprocess.run(check, capture_output=True, env=env).returncode == 0:
            return None
        return (
            f"is inside the git work tree {str(root)!r} and not ignored by git: a commit could carry the secrets.",
            f"{outside}, or add it to {root / '.gitignore'}.",
        )
    if top is not None and "not a git repository" in top.stderr:
        return None
    marker = next((p for p in (existing, *existing.parents) if (p / ".git").exists()), None)
    if marker is None:
        return None
    return (
        f"is inside {str(marker)!r}, which looks like a git work tree, and git could not tell whether it is "
        "ignored (is git installed?).",
        f"{outside}, or install git so that the runbook can read {marker / '.gitignore'}.",
    )


def ensure_private_dir(path: Path | str) -> Path:
    """Check `secrets_dir` (see `check_secrets_dir`), create what is missing 0700 at every level, and
    prove it can be written; return it resolved. Fails before any write to IAM."""
    path = check_secrets_dir(path)
    missing = [p for p in (path, *path.parents) if not os.path.lexists(p)][::-1]
    try:
        for level in missing:
            try:
                os.mkdir(level, 0o700)
            except FileExistsError:  # made meanwhile by someone else: check it as any existing directory
                return ensure_private_dir(path)
            os.chmod(level, 0o700)  # ours, just made: the umask may have taken bits from it
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise _refuse(path, f"cannot be written: {exc.strerror}.", OWN_DIRECTORY) from None
    return path


# What one run's secrets take on disk (the JSON file is about 1 kB, the QR image 1-2 kB), with room.
STORE_NEEDS = 64 * 1024
# Free space kept beyond that: a disk this full is about to fail whatever we write.
STORE_MARGIN = 1024 * 1024


def check_can_store(directory: str | Path, needed: int = STORE_NEEDS, margin: int = STORE_MARGIN) -> Path:
    """Prove, before IAM is asked for a secret it shows only once (CreateLoginProfile,
    CreateVirtualMFADevice, Create/ResetServiceSpecificCredential), that the store can take it.

    The directory must pass `ensure_private_dir`; the file system must have `needed` bytes and a
    margin free for this user (`os.statvfs`) and free inodes; and a file of `needed` bytes must really
    be written, synced and removed there (a read-only mount, a quota or a disk that fills meanwhile
    fails here). Raises `StorageError` naming secrets_dir; returns the directory.
    """
    path = ensure_private_dir(directory)
    fix = "Free space in secrets_dir (or set secrets_dir to a directory on another disk), then run again."
    try:
        info = os.statvfs(path)
    except OSError as exc:
        raise StorageError(
            f"Cannot tell how much space {str(path)!r} has: {exc.strerror}.", parameter="secrets_dir", fix=fix
        ) from None
    free = info.f_bavail * info.f_frsize
    if free < needed + margin:
        raise StorageError(
            f"The secrets directory {str(path)!r} has {free} bytes free; a new secret needs {needed} and "
            f"{margin} more are kept free. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        )
    if info.f_files and info.f_favail < 8:
        raise StorageError(
            f"The file system of {str(path)!r} has no free inodes for the secrets file. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        )
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".store-probe-")
    except OSError as exc:
        raise StorageError(
            f"The secrets directory {str(path)!r} cannot take a new file: {exc.strerror}. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        ) from None
    try:
        block = b"\0" * min(needed, 65536)
        written = 0
        while written < needed:
            written += os.write(fd, block[: needed - written])
        os.fsync(fd)
    except OSError as exc:
        raise StorageError(
            f"The secrets directory {str(path)!r} cannot take {needed} bytes: {exc.strerror}. "
            "Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        ) from None
    finally:
        os.close(fd)
        os.unlink(probe)
    return path
