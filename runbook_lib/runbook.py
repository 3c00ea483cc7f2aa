"""The procedure, step by step, as the blog post walks it: one method per notebook section.

Everything that can fail on bad input (parameters, secrets directory, credentials, confirmation,
password, policy names, name clashes) fails before the first write. Writes happen only in `apply`,
which executes the reviewed plan and nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import codecommit, mfa, passwords, policies, users
from .aws import Connection, connect
from .errors import CodeError, ConflictError, InputError, RunbookError, StepFailed
from .identity import Preflight, run_preflight
from .params import PARAMETER_NAMES, Parameters, parse
from .plan import Desired, Observed, Phase, Step, plan
from .report import MARK, Report
from .secrets import (
    SECRET_VALUE_KEYS,
    SecretsFile,
    ensure_private_dir,
    read_mfa_codes,
    read_password,
    refuse_secret_parameters,
    register,
)

SECTIONS = {
    "preflight": "0 Preflight",
    "user": "1 Create the IAM user",
    "console": "2 Console access",
    "permissions": "3 Permissions",
    "review": "4 Review",
    "create": "5 Create",
    "mfa": "6 MFA",
    "codecommit": "7 CodeCommit",
    "summary": "8 Summary",
    "verify": "9 Verify",
}

GIT_POLICY = "AWSCodeCommitPowerUser"


def progress(section: str, status: str) -> None:
    """One line per step on stdout: `runbook run` streams these, and they read well in the notebook."""
    print(f"▶ step {SECTIONS[section]}: {status}", file=sys.stdout, flush=True)


@dataclass
class Runbook:
    """One run: parameters, connection, what was read, the plan, and what was done."""

    params: Parameters
    conn: Connection
    pre: Preflight
    catalogue: list[policies.PolicyRef] | None = None
    desired: Desired | None = None
    observed: Observed | None = None
    steps: list[Step] = field(default_factory=list)
    done: list[Step] = field(default_factory=list)
    password: str | None = None
    codes: tuple[str, str] | None = None
    device: mfa.VirtualDevice | None = None
    git: codecommit.GitCredential | None = None
    secrets: SecretsFile | None = None
    reveal: dict[str, str] = field(default_factory=dict)
    on_reveal: Callable[[str, str], None] | None = None

    def step(self, name: str) -> Any:
        """One notebook section: a panel when interactive, else the section's work and its report."""
        if self.interactive:
            from . import ui

            return ui.panel(self, name)
        return self.headless_sections()[name]()

    def headless_sections(self) -> dict[str, Callable[[], Report]]:
        return {
            "preflight": self.preflight_report,
            "user": self.check_user,
            "console": self.check_password,
            "permissions": self.resolve_policies,
            "review": self.review,
            "create": self.create,
            "mfa": self.enable_mfa,
            "codecommit": self.create_git_credentials,
            "summary": self.summary,
            "verify": self.verify,
        }

    # --- 0 preflight --------------------------------------------------------------------------

    @property
    def interactive(self) -> bool:
        return self.params.mfa_codes == "prompt"

    def preflight_report(self) -> Report:
        rows = [(MARK[f.level], f.topic, f.message + (f"  Fix: {f.fix}" if f.fix else "")) for f in self.pre.findings]
        return Report("Preflight: who is calling, and where", rows, ("", "check", "finding"))

    # --- 1 user -------------------------------------------------------------------------------

    def check_user(self) -> Report:
        """Read the user; refuse a stranger's user unless `adopt` says so."""
        p = self.params
        self._observe()
        assert self.observed is not None
        u = self.observed.admin
        if u.exists and not u.ours and not p.adopt:
            raise ConflictError(
                f"User {p.user_name!r} exists and was not created by this runbook; it was not touched.",
                parameter="user_name",
                fix="Choose another user_name, or set adopt=True to manage this user.",
            )
        state = (
            "does not exist yet: it will be created"
            if not u.exists
            else ("exists (created by this runbook)" if u.ours else "exists; adopted (adopt=True)")
        )
        progress("user", state)
        return Report(f"User {p.user_name}", [("name", f"{p.user_name}: valid IAM name"), ("state", state)])

    # --- 2 console access ---------------------------------------------------------------------

    def check_password(self, password: str | None = None, confirm: str | None = None) -> Report:
        """The custom password (env, file or widget), checked rule by rule; or note it will be generated."""
        p = self.params
        policy = self.effective_policy
        if not p.console_access:
            progress("console", "no console access requested")
            return Report("Console access: none (console_access=False)")
        if password is not None:
            register(password)
            if confirm is not None and confirm != password:
                raise InputError(
                    "The password and its confirmation differ.",
                    parameter="password",
                    fix="Type the same password in both fields.",
                )
            self.password = password
        elif p.password_mode == "custom" and self.password is None:
            self.password = read_password(p.password_file)
            has_login = self.observed is not None and self.observed.admin.login_profile
            if self.password is None and not self.interactive and not has_login:
                raise InputError(
                    "password_mode is 'custom' but no password was given.",
                    parameter="password_mode",
                    fix="Set RUNBOOK_PASSWORD or password_file=PATH, or use password_mode='generated'.",
                )
        rows: list[tuple[str, str]] = [("policy", policy.describe())]
        if self.password is not None:
            results = passwords.check(self.password, policy, p.user_name)
            rows += [(("pass" if r.ok else "FAIL"), r.rule) for r in results]
            failed = [r.rule for r in results if not r.ok]
            if failed:
                raise InputError(
                    "The custom password fails the password policy: " + "; ".join(failed) + ".",
                    parameter="password",
                    fix="Choose a password that meets every rule, or use password_mode='generated'.",
                )
            how = "custom password: meets every rule"
        else:
            how = "a generated password that meets the policy"
        rows.append(("reset at sign-in", "required" if p.password_reset_required else "not required"))
        progress("console", how)
        return Report(f"Console access: {how}", rows)

    @property
    def effective_policy(self) -> passwords.PasswordPolicy:
        return passwords.CIS_POLICY if self.params.password_policy == "cis" else self.pre.password_policy

    # --- 3 permissions ------------------------------------------------------------------------

    def resolve_policies(self) -> Report:
        p = self.params
        chosen = self._resolve(p.policies)
        git = self._resolve([GIT_POLICY]) if p.codecommit_user else []
        self.desired = Desired(
            user_name=p.user_name,
            console_access=p.console_access,
            password_reset_required=p.password_reset_required,
            policies=tuple(chosen),
            grant_via=p.grant_via,
            group_name=p.group_name,
            mfa=p.mfa,
            device_name=p.device_name,
            mfa_deferred=p.mfa_codes == "defer",
            codecommit=p.codecommit,
            git_user=p.git_user,
            git_policies=tuple(git),
            password_policy=passwords.CIS_POLICY if p.password_policy == "cis" else None,
            codecommit_reset=p.codecommit_reset,
        )
        how = "to the user" if p.grant_via == "user" else f"through group {p.group_name}"
        progress("permissions", ", ".join(c.name for c in chosen) + f" ({how})")
        return Report(f"Permissions, granted {how}", [(c.name, c.arn) for c in chosen], ("policy", "ARN"))

    def _resolve(self, names: list[str]) -> list[policies.PolicyRef]:
        """Exact names by `GetPolicy`; the whole catalogue (two pages) only when that does not find them."""
        found = policies.lookup(self.conn.iam, names) if self.catalogue is None else None
        if found is not None:
            return found
        if self.catalogue is None:
            self.catalogue = policies.list_aws_managed(self.conn.iam)
        return policies.resolve(self.catalogue, names)

    # --- 4 review -----------------------------------------------------------------------------

    def review(self) -> Report:
        """The plan: every write that apply will make, and nothing else."""
        if self.desired is None:
            self.resolve_policies()
        assert self.desired is not None and self.observed is not None
        self.observed.codes_available = self._codes_available()
        self.steps = plan(self.desired, self.observed)
        if (
            self.params.target == "aws"
            and not self.interactive
            and self.steps
            and self.params.confirm != self.pre.account_id
        ):
            raise InputError(
                f"target='aws' writes to real account {self.pre.account_id}, and confirm does not name it.",
                parameter="confirm",
                fix=f"Review the plan, then run again with confirm={self.pre.account_id!r}.",
            )
        if not self.steps:
            progress("review", "nothing to do: the account already matches")
            return Report("Review: nothing to do, the account already matches the parameters")
        progress("review", f"{len(self.steps)} change(s) planned")
        rows = [(s.phase, s.action, s.target, s.detail) for s in self.steps]
        return Report(f"Review: {len(self.steps)} change(s) will be made", rows, ("phase", "IAM action", "on", "what"))

    # --- 5-7 apply ----------------------------------------------------------------------------

    def apply(self, *phases: Phase) -> list[Step]:
        """Execute the planned steps of these phases, in order; return what was done."""
        made: list[Step] = []
        for step in [s for s in self.steps if s.phase in phases and s not in self.done]:
            if step.phase == "codecommit" and self.params.mfa and not self._mfa_enabled():
                break  # the deferred flow stops at MFA; the next run finishes both
            if step.action == "EnableMFADevice" and self.interactive and self.codes is None:
                break  # the panel asks for two codes, then calls submit_codes
            try:
                self._execute(step)
            except ClientError as exc:
                raise self._explain(step, exc) from None
            self.done.append(step)
            made.append(step)
        return made

    def create(self) -> Report:
        """Section 5: the account policy, the user, console access and permissions."""
        made = self.apply("account", "user")
        rows = [(MARK["ok"], s.action, s.detail) for s in made]
        notes = []
        if self.password is not None and any(s.action == "CreateLoginProfile" for s in made):
            notes.append(self._secret_note("The console password"))
        progress("create", f"{len(made)} change(s) made" if made else "nothing to do")
        return Report("Created" if made else "Nothing to create: already in place", rows, notes=notes)

    def enable_mfa(self) -> Report:
        """Section 6: create the virtual device and enable it with two consecutive codes."""
        p = self.params
        if not p.mfa:
            progress("mfa", "skipped (mfa=False)")
            return Report("MFA: skipped (mfa=False)")
        before = "enabled with MFA" if self._mfa_enabled() else "enabled without MFA"
        made = self.apply("mfa")
        rows = [("before", f"{p.user_name}: {before}")] + [("done", s.detail) for s in made]
        notes = []
        if self.device and self.device.seed:
            notes.append(self._secret_note("The MFA seed, its otpauth URI and QR image"))
        if self._mfa_enabled():
            rows.append(("after", f"{p.user_name}: enabled with MFA ({self._serial()})"))
            progress("mfa", "enabled")
        else:
            rows.append(("after", "waiting for two codes"))
            notes.append(
                "Import the seed into an authenticator app, then run again with "
                "RUNBOOK_MFA_CODES=<code1>,<code2> (or mfa_codes_file=PATH) to enable the device."
            )
            progress("mfa", "device created; waiting for codes (defer)")
        return Report("MFA", rows, notes=notes)

    def submit_codes(self, first: str, second: str) -> Report:
        """Interactive MFA: check two codes locally against the seed, then enable the device.

        A `CodeError` (typo, swapped, same code twice, skewed clock) leaves the device pending, so
        the person can simply try again with new codes.
        """
        self.codes = (register(first.strip()), register(second.strip()))
        return self.enable_mfa()

    def create_git_credentials(self) -> Report:
        """Section 7: HTTPS Git credentials for CodeCommit, shown once."""
        p = self.params
        if not p.codecommit:
            progress("codecommit", "skipped (codecommit=False)")
            return Report("CodeCommit: skipped (codecommit=False)")
        made = self.apply("codecommit")
        rows = [("done", s.detail) for s in made]
        rows.append(("clone URL", codecommit.clone_url(p.region)))
        notes = []
        if self.git is not None:
            rows.insert(0, ("Git user name", self.git.username))
            notes.append(self._secret_note("The Git password"))
        pending = [s for s in self.steps if s.phase == "codecommit" and s not in self.done]
        status = "waiting for MFA" if pending else ("created" if made else "already in place")
        existing = self._git_observed().credential_ids if not made and not pending else []
        if existing:
            # IAM shows a credential's password once; a stop right after the create loses it.
            notes.append(
                f"Made by an earlier run: its password is in that run's secrets file. If it was lost, "
                f"run again with codecommit_reset={existing[0]!r} for a new one."
            )
        progress("codecommit", status)
        return Report(f"CodeCommit HTTPS Git credentials: {status}", rows, notes=notes)

    # --- 8 summary ----------------------------------------------------------------------------

    def summary(self) -> Report:
        p = self.params
        rows = [(MARK["ok"], s.action, s.detail) for s in self.done]
        if not self.done:
            rows.append((MARK["ok"], "-", "nothing to do: the account already matched"))
        pending = [s for s in self.steps if s not in self.done]
        rows += [(MARK["todo"], s.action, s.detail + " (not done yet)") for s in pending]
        manual = [
            "Manual: turn on IAM user access to billing (Account settings > IAM user and role access "
            "to Billing information > Activate). It has no API, and Billing policies do nothing until it is on.",
        ]
        root_keys = self.pre.static_root_keys or self.pre.root_access_keys
        if root_keys:
            manual.append(
                "Manual: delete the root user's access keys (root's Security credentials page), "
                "after signing in as the new admin."
            )
        if self.secrets and self.secrets.path:
            manual.append(f"Move the secrets to a password manager, then delete {self.secrets.path}.")
        notes = [f"Sign in at {self.pre.signin_url} as {p.user_name}.", *manual]
        status = "done" if not pending else f"{len(pending)} step(s) still to do"
        if root_keys:
            status += "; manual: delete the root user's access keys (root's Security credentials page)"
        progress("summary", status)
        return Report("Summary", rows, ("", "action", "what"), notes)

    # --- 9 verify -----------------------------------------------------------------------------

    def verify(self) -> Report:
        """Read the account back and report the auditors' controls (CIS v3.0 / Prowler)."""
        from . import checks

        changed_policy = any(s.action == "UpdateAccountPasswordPolicy" for s in self.done)
        known = checks.Known(
            root_mfa=self.pre.root_mfa,
            root_access_keys=self.pre.root_access_keys,
            password_policy=None if changed_policy else self.pre.password_policy,
        )
        results = checks.verify(self.conn.iam, self.params.user_name, known)
        failed = [c.prowler for c in results if c.status == "FAIL"]
        progress("verify", f"{len(failed)} control(s) fail: {', '.join(failed)}" if failed else "all controls pass")
        return checks.as_report(results)

    # --- helpers ------------------------------------------------------------------------------

    def _observe(self) -> None:
        p = self.params
        iam = self.conn.iam
        admin = users.observe(
            iam, p.user_name, groups=p.grant_via == "group", codecommit=p.codecommit and not p.codecommit_user
        )
        git = users.observe(iam, p.codecommit_user, mfa=False, login=False) if p.codecommit_user else None
        group = users.observe_group(iam, p.group_name) if p.grant_via == "group" else None
        pending = mfa.find_pending(iam, p.device_name) if p.mfa and admin.exists and not admin.mfa_serials else []
        self.observed = Observed(
            admin=admin, git=git, group=group, pending=pending, password_policy=self.pre.password_policy
        )

    def _git_observed(self) -> users.ObservedUser:
        assert self.observed is not None
        return self.observed.git or self.observed.admin

    def _codes_available(self) -> bool:
        if self.codes is None and self.params.mfa_codes == "defer":
            self.codes = read_mfa_codes(self.params.mfa_codes_file)
        return self.codes is not None

    def _mfa_enabled(self) -> bool:
        assert self.observed is not None
        return bool(self.observed.admin.mfa_serials) or any(s.action == "EnableMFADevice" for s in self.done)

    def _serial(self) -> str:
        assert self.observed is not None
        if self.observed.admin.mfa_serials:
            return self.observed.admin.mfa_serials[0]
        return self.device.serial if self.device else ""

    def _secrets_file(self) -> SecretsFile:
        if self.secrets is None:
            self.secrets = SecretsFile.for_run(self.params.secrets_dir, self.params.user_name)
            self.secrets.put(
                user_name=self.params.user_name, account_id=self.pre.account_id, console_signin_url=self.pre.signin_url
            )
        return self.secrets

    def _deliver(self, **values: str) -> None:
        """Secrets go to the 0600 file (always, as a backup; it registers them with the log redactor) and,
        when interactive, to reveal-once."""
        self._secrets_file().put(**values)
        for key, value in values.items():
            if self.interactive and key in SECRET_VALUE_KEYS:
                self.reveal[key] = value
                if self.on_reveal:
                    self.on_reveal(key, value)

    def _secret_note(self, what: str) -> str:
        path = self.secrets.path if self.secrets else None
        shown = "Shown once in the panel, then cleared." if self.interactive else "It is not shown in this notebook."
        return f"{what}: written to {path} (mode 0600). {shown}"

    def _execute(self, step: Step) -> None:
        p, iam = self.params, self.conn.iam
        if step.action == "UpdateAccountPasswordPolicy":
            c = passwords.CIS_POLICY
            iam.update_account_password_policy(
                MinimumPasswordLength=c.minimum_length,
                RequireUppercaseCharacters=True,
                RequireLowercaseCharacters=True,
                RequireNumbers=True,
                RequireSymbols=True,
                PasswordReusePrevention=c.password_reuse_prevention or 24,
                MaxPasswordAge=c.max_password_age or 90,
                AllowUsersToChangePassword=True,
            )
        elif step.action == "CreateUser":
            users.create_user(iam, step.target)
        elif step.action == "CreateLoginProfile":
            if self.password is None:
                self.password = register(passwords.generate(self.effective_policy))
            self._deliver(console_password=self.password)  # on disk before the call: never lost
            users.create_login_profile(iam, step.target, self.password, p.password_reset_required)
        elif step.action == "AttachUserPolicy":
            users.attach_user_policy(iam, step.target, step.arg)
        elif step.action == "CreateGroup":
            users.create_group(iam, step.target)
        elif step.action == "AttachGroupPolicy":
            users.attach_group_policy(iam, step.target, step.arg)
        elif step.action == "AddUserToGroup":
            users.add_user_to_group(iam, p.group_name, step.target)
        elif step.action == "DeleteVirtualMFADevice":
            mfa.delete_device(iam, step.arg)
        elif step.action == "CreateVirtualMFADevice":
            self.device = mfa.create_device(iam, step.target, deferred=p.mfa_codes == "defer")
            assert self.device.seed is not None
            uri = mfa.otpauth_uri(self.device.seed, step.target, self.pre.account_id)
            self._deliver(mfa_serial=self.device.serial, mfa_seed=self.device.seed, mfa_otpauth_uri=uri)
            assert self.secrets is not None
            self.secrets.put_png(mfa.qr_png(uri))
        elif step.action == "EnableMFADevice":
            self._enable(step)
        elif step.action == "CreateServiceSpecificCredential":
            self.git = codecommit.create(iam, step.target)
            self._deliver_git()
        elif step.action == "ResetServiceSpecificCredential":
            self.git = codecommit.reset(iam, step.target, step.arg)
            self._deliver_git()
        else:  # pragma: no cover - plan and execute are kept in step
            raise AssertionError(step.action)

    def _enable(self, step: Step) -> None:
        serial = step.arg or (self.device.serial if self.device else "")
        seed = self.device.seed if self.device and self.device.serial == serial else None
        if self.codes is None and seed is not None and self.params.mfa_codes == "generate":
            self.codes = mfa.current_codes(seed)
            for c in self.codes:
                register(c)
        if self.codes is None:
            raise InputError(
                "Two MFA codes are needed to enable the device.",
                parameter="mfa_codes",
                fix="Enter them in the MFA panel, or set RUNBOOK_MFA_CODES=code1,code2.",
            )
        first, second = self.codes
        self.codes = None  # codes are single-use: never kept after an attempt
        if seed is not None:
            mfa.require_valid(seed, first, second, "mfa_codes")
        mfa.enable(self.conn.iam, step.target, serial, first, second)

    def _deliver_git(self) -> None:
        assert self.git is not None
        self._deliver(codecommit_username=self.git.username, codecommit_password=self.git.password)
        if self.params.git_credential_helper:
            from .secrets import git_credential_approve

            git_credential_approve(codecommit.host(self.params.region), self.git.username, self.git.password)

    def _explain(self, step: Step, exc: ClientError) -> RunbookError:
        code = exc.response["Error"]["Code"]
        message = exc.response["Error"].get("Message", "")
        if code == "InvalidAuthenticationCode":
            return CodeError(
                "IAM rejected the MFA codes.",
                parameter="mfa_codes",
                fix="Enter two new consecutive codes from the authenticator app.",
            )
        if code == "PasswordPolicyViolation":
            return InputError(
                f"IAM rejected the password: {message}",
                parameter="password",
                fix="Choose a password that meets the account's password policy.",
            )
        if code == "LimitExceeded":
            return ConflictError(
                f"{step.action} hit an IAM limit: {message}",
                parameter="codecommit",
                fix="Set codecommit_reset to an existing credential id, or codecommit=False.",
            )
        return StepFailed(
            f"{step.action} on {step.target} failed ({code}): {message}",
            step=step.action,
            fix="Fix the cause and run again: the runbook plans from what IAM holds and finishes the job.",
        )


def start(namespace: Mapping[str, Any]) -> Runbook:
    """Section 0: validate the parameters, check the secrets directory, connect and run preflight.

    `namespace` is the notebook's globals (or any mapping); only the parameter names are read, and
    any other secret-looking name is refused before it can travel further.
    """
    raw = {k: v for k, v in namespace.items() if k in PARAMETER_NAMES}
    refuse_secret_parameters({k: v for k, v in namespace.items() if _user_value(k, v)})
    params = parse(raw)
    ensure_private_dir(Path(params.secrets_dir).expanduser())
    conn = connect(params.target, params.region, params.profile)
    try:
        pre = run_preflight(conn)
    except BaseException:
        conn.close()
        raise
    run = Runbook(params=params, conn=conn, pre=pre)
    warnings = "".join(f"; WARNING: {f.message}" for f in pre.findings if f.level == "warn")
    who = "root" if pre.is_root else pre.caller_arn
    progress("preflight", f"{who} in {pre.account_id} ({params.target}){warnings}")
    return run


def _user_value(name: str, value: Any) -> bool:
    return not name.startswith("_") and name not in ("In", "Out") and isinstance(value, str | list | tuple)


def run_headless(namespace: Mapping[str, Any]) -> Runbook:
    """The whole procedure without a notebook (tests, benchmark): the same calls as the notebook's cells."""
    run = start(namespace)
    for section in run.headless_sections().values():
        section()
    return run
