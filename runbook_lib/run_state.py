"""One run's state: its parameters, connection and preflight, the typed values its sections produce, and the
readers every section shares (what IAM holds, the desired state, the policy in force, the steps left).

`Runbook` (runbook.py) is this state with one method per section; the sections with most to say have
their own modules, each a class on top of this one: `console_steps` (2), `write_steps` (the apply
engine and 5), `mfa_steps` (6).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import choices, fixes, passwords, policies
from .apply import Applied
from .aws import Connection
from .choices import Console
from .delivery import Delivery, Reveal
from .identity import Preflight
from .params import Parameters
from .plan import Desired, Observed, Phase, Step, holding_notes, plan
from .reading import observe, resolve_policies
from .report import Report

GIT_POLICY = "AWSCodeCommitPowerUser"


@dataclass
class RunState:
    """One run: its parameters, connection and preflight, and the typed values each section produces.

    `console` (section 2), `observed` (1), `desired` (3) and `applied` (4-7) are filled by their
    sections; a section that needs an earlier one's value reads it through a method that makes it
    when missing, so no order lives in asserts.
    """

    params: Parameters
    conn: Connection
    pre: Preflight
    console: Console
    delivery: Delivery
    applied: Applied
    observed: Observed | None = None
    desired: Desired | None = None
    catalogue: list[policies.PolicyRef] | None = None
    codes: tuple[str, str] | None = None
    finished: dict[str, Report] = field(default_factory=dict)  # a write section's report once it has nothing left
    front: fixes.Front = "headless"  # who shows the reports: Verify words its fixes in that front end's terms

    @property
    def interactive(self) -> bool:
        """A person answers in panels (mfa_codes='prompt'): no headless refusals for missing input."""
        return self.params.mfa_codes == "prompt"

    @property
    def store_locked(self) -> bool:
        """The KeePass database waits for the master password a panel asks for: nothing can be written yet."""
        return self.delivery.locked is not None

    @property
    def store_creating(self) -> bool:
        """The locked database does not exist yet: its new master password is typed twice."""
        return self.delivery.creating

    # --- what the sections read ----------------------------------------------------------------

    def observation(self) -> Observed:
        """What IAM holds for this run, read by section 1 (or now, if it did not run)."""
        if self.observed is None:
            self.observed = observe(self.conn.iam, self.params, self.pre.password_policy, self.delivery.holds_console)
        return self.observed

    def _recorded(self, observed: Observed) -> Observed:
        """The waiting devices whose seed a secrets file records: delivered, so reused rather than replaced."""
        found = {v.serial: self.delivery.recorded(v, self.params.device_name) for v in observed.pending}
        return replace(observed, recorded={s: d.where for s, d in found.items() if d is not None})

    def wanted(self) -> Desired:
        """The desired state, from section 3 (or resolved now, if it did not run)."""
        if self.desired is None:
            p = self.params
            git = self._resolve([GIT_POLICY]) if p.codecommit_user else []
            self.desired = choices.desired(p, self.console, self._resolve(p.policies), git)
        return self.desired

    def policy_catalogue(self) -> list[policies.PolicyRef]:
        """AWS's managed policies (two pages), listed once per run, for a search box."""
        if self.catalogue is None:
            self.catalogue = policies.list_aws_managed(self.conn.iam)
        return self.catalogue

    def _resolve(self, names: list[str]) -> list[policies.PolicyRef]:
        found, self.catalogue = resolve_policies(self.conn.iam, names, self.catalogue)
        return found

    def policy_for(self, password_policy: str | None = None) -> passwords.PasswordPolicy:
        """The password policy a choice ('keep', 'cis', or None: the run's) puts in force."""
        chosen = self.params.password_policy if password_policy is None else password_policy
        return passwords.CIS_POLICY if chosen == "cis" else self.pre.password_policy

    @property
    def effective_policy(self) -> passwords.PasswordPolicy:
        return self.policy_for()

    @property
    def has_password(self) -> bool:
        """The user already has a console password (a login profile), as section 1 read it."""
        return self.observation().admin.login_profile

    @property
    def password(self) -> str | None:
        """The console password this run chose or generated (None until one exists)."""
        return self.console.password

    def holding_notes(self) -> list[str]:
        """What the review says about existing users' passwords and keys, and the group's other members."""
        return holding_notes(self.wanted(), self.observation())

    def full_plan(self) -> list[Step]:
        """Every write of the deferred flow's two runs: the plan as if two codes were already given."""
        return plan(self.wanted(), replace(self._recorded(self.observation()), codes_available=True))

    @property
    def steps(self) -> list[Step]:
        return self.applied.steps

    def pending(self, phase: Phase | None = None) -> list[Step]:
        """The reviewed steps not done yet (of one phase): what a panel still has to do."""
        return self.applied.pending(phase)

    def mfa_enabled(self) -> bool:
        """The user has an enabled device: read by section 1, or enabled by this run."""
        enabled_now = any(s.action == "EnableMFADevice" for s in self.applied.done)
        return enabled_now or bool(self.observation().admin.mfa_serials)

    def reveal_to(self, reveal: Reveal) -> None:
        """A front end that shows secrets once registers here; the secrets store gets them regardless."""
        self.delivery.reveal = reveal
