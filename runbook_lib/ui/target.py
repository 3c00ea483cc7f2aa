"""The first panel: where the runbook works (the sandbox, or an AWS account), who is calling, and preflight.

Before anything else the person sees the target, where the credentials come from, the caller and the
account. Choosing another target starts a new run there (preflight only reads); the panels after this
one start over for it. A start that fails (the endpoint is down, the credentials are refused) is this
panel's message, with a way to try again.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..runbook import Runbook
from ..runbook import start as start_run
from .frame import Panel, Widget, choice, failure_html, labelled

# botocore's names for where it found the credentials (Credentials.method), as a person knows them.
CREDENTIAL_SOURCES = {
    "explicit": "the sandbox's own keys",
    "env": "environment variables (AWS_ACCESS_KEY_ID, …)",
    "shared-credentials-file": "the shared credentials file (~/.aws/credentials)",
    "config-file": "the AWS config file (~/.aws/config)",
    "sso": "IAM Identity Center (SSO) in ~/.aws/config",
    "assume-role": "a role assumed through ~/.aws/config",
    "assume-role-with-web-identity": "a web identity role",
    "custom-process": "a credential_process in ~/.aws/config",
    "container-role": "the container's role (CloudShell, ECS)",
    "iam-role": "the instance's role (EC2 metadata)",
    "login": "aws login",
}


def credential_source(run: Runbook) -> str:
    method = run.conn.credential_method
    where = CREDENTIAL_SOURCES.get(method, method or "unknown")
    return f"{where}, profile {run.params.profile}" if run.params.profile else where


def identity_html(run: Runbook) -> str:
    """Target, credential source, caller and account: the first things the person reads."""
    pre, p = run.pre, run.params
    if p.target == "sandbox":
        target = f"the sandbox (local, fictional account) at {pre.endpoint_url}"
    else:
        target = "real AWS" + (f" at {pre.endpoint_url}" if pre.endpoint_url else "")
    caller = f"{pre.caller_arn} ({'the root user' if pre.is_root else 'an IAM principal'})"
    account = pre.account_id + (f" (alias {pre.alias})" if pre.alias else "")
    rows = [("Target", target), ("Credentials", credential_source(run)), ("Caller", caller), ("Account", account)]
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f"<dl class='rb-identity-list'>{cells}</dl>"


class PreflightPanel(Panel):
    name = "preflight"
    intro = (
        "Where the runbook works, and who is calling. The sandbox is a rehearsal on a local, fictional "
        "account; an AWS account is reached through the standard credential chain (CloudShell, SSO, the "
        "environment, <code>~/.aws</code>) or a named profile. Preflight only reads, from STS and IAM. "
        "Fix any warning before you go on."
    )
    action = "Check again"

    def build(self) -> list[Widget]:
        raw = self.wizard.raw
        self.target = choice(
            widgets.RadioButtons(
                options=[
                    ("The sandbox: a rehearsal, nothing real is touched", "sandbox"),
                    ("An AWS account: the standard credential chain, or a profile", "aws"),
                ],
                value=raw.get("target", "sandbox"),
                description="Target",
            ),
            "rb-target",
        )
        self.profile = labelled(
            widgets.Text(value=str(raw.get("profile", "")), placeholder="none: the default credential chain"),
            "rb-profile",
            "AWS profile (optional)",
        )
        self.identity = widgets.HTML()
        self.identity.add_class("rb-identity")
        for widget in (self.target, self.profile):
            widget.observe(lambda _: self.relabel(), names="value")
        self.inputs = [self.target, self.profile]
        run = self.wizard.current
        if run is not None:
            self.shown(run)
        elif self.wizard.failure is not None:
            self.status.value = failure_html(self.wizard.failure)
        self.relabel()
        return [self.target, self.profile, self.identity]

    def chosen(self) -> tuple[str, str]:
        return str(self.target.value), str(self.profile.value).strip() if self.target.value == "aws" else ""

    def relabel(self) -> None:
        """The button says what it will do: check the same target again, or connect to another."""
        target, profile = self.chosen()
        self.profile.layout.display = "" if target == "aws" else "none"
        run = self.wizard.current
        if run is not None and (run.params.target, run.params.profile) == (target, profile):
            self.button.description = "Check again"
        elif run is None and self.wizard.failure is not None:
            self.button.description = "Try again"
        else:
            self.button.description = "Connect to AWS" if target == "aws" else "Connect to the sandbox"

    def shown(self, run: Runbook) -> None:
        self.identity.value = identity_html(run)
        self.show(run.preflight())

    def act(self) -> None:
        target, profile = self.chosen()
        run = self.wizard.current
        if run is not None and (run.params.target, run.params.profile) == (target, profile):
            self.do("Reading the caller and the account…", run.recheck_preflight)
            self.identity.value = identity_html(run)
            return
        where = "AWS" if target == "aws" else "the sandbox"
        started: list[Runbook] = []
        with self.working(f"Connecting to {where} and reading the caller and the account…"):
            started.append(start_run({**self.wizard.raw, "target": target, "profile": profile}))
        if started:
            self.wizard.restart(started[0])
            self.shown(started[0])
        else:  # the message is on the panel; nothing goes on with a target the person did not choose
            self.identity.value = ""
            self.result.value = ""
            self.wizard.stop(self.error or RuntimeError("the run did not start"))
        self.relabel()
