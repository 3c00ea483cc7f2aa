"""What the create run reads before it plans: the users, the group and the waiting devices, and the policies.

Reads only, and only what the plan needs: a missing user costs one call, and an exact policy name
one `GetPolicy`, the whole catalogue being listed only when a name is not exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import mfa, policies, users
from .delivery import password_delivered
from .params import Parameters
from .passwords import PasswordPolicy
from .plan import Observed

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def observe(iam: IAMClient, p: Parameters, password_policy: PasswordPolicy, account_id: str = "") -> Observed:
    """The admin user, the Git user and the group the parameters name, and the MFA device of that name.

    An existing console password is looked for in `secrets_dir`'s files, to tell a re-run's own
    password from one set by someone else.
    """
    admin = users.observe(
        iam, p.user_name, groups=p.grant_via == "group", codecommit=p.codecommit and not p.codecommit_user
    )
    git = users.observe(iam, p.codecommit_user, mfa=False) if p.codecommit and p.codecommit_user else None
    for user in (admin, git):
        if user is not None and user.login_profile:
            user.password_delivered = password_delivered(p.secrets_dir, user.name, account_id)
    group = users.observe_group(iam, p.group_name) if p.grant_via == "group" else None
    device = mfa.named(iam, p.device_name) if p.mfa and not admin.mfa_serials else None
    mine = device is not None and device.made_for == p.user_name  # made for the user, and still waiting
    return Observed(
        admin=admin,
        git=git,
        group=group,
        pending=[mfa.VirtualDevice(device.serial, deferred=device.deferred, device_id=device.device_id)]
        if device and mine
        else [],
        device_taken=device.holder() if device and not mine else "",
        password_policy=password_policy,
    )


def resolve_policies(
    iam: IAMClient, names: list[str], catalogue: list[policies.PolicyRef] | None
) -> tuple[list[policies.PolicyRef], list[policies.PolicyRef] | None]:
    """Exact names by `GetPolicy`; the whole catalogue (two pages) only when that does not find them.

    Returns the policies and the catalogue, listed here if it had to be (the caller keeps it).
    """
    found = policies.lookup(iam, names) if catalogue is None else None
    if found is not None:
        return found, catalogue
    if catalogue is None:
        catalogue = policies.list_aws_managed(iam)
    return policies.resolve(catalogue, names), catalogue
