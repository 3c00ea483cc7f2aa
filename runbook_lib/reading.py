"""What the create run reads before it plans: the users, the group and the waiting devices, and the policies.

Reads only, and only what the plan needs: a missing user costs one call, and an exact policy name
one `GetPolicy`, the whole catalogue being listed only when a name is not exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import mfa, policies, users
from .params import Parameters
from .passwords import PasswordPolicy
from .plan import Observed

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def observe(iam: IAMClient, p: Parameters, password_policy: PasswordPolicy) -> Observed:
    """The admin user, the Git user and the group the parameters name, and the devices left waiting."""
    admin = users.observe(
        iam, p.user_name, groups=p.grant_via == "group", codecommit=p.codecommit and not p.codecommit_user
    )
    git = users.observe(iam, p.codecommit_user, mfa=False, login=False) if p.codecommit_user else None
    group = users.observe_group(iam, p.group_name) if p.grant_via == "group" else None
    pending = mfa.find_pending(iam, p.device_name) if p.mfa and admin.exists and not admin.mfa_serials else []
    return Observed(admin=admin, git=git, group=group, pending=pending, password_policy=password_policy)


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
