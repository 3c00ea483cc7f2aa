"""Console passwords: IAM enforces the password policy, or AWS's default one.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
"""

from __future__ import annotations

import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from runbook_lib.sandbox.iam import account_backend
from runbook_lib.sandbox.passwords import password_matches
from tests.support.sandbox import Target

STRONG = "Corr3ct-Horse-Battery"


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("Ab1!xyz", id="shorter than 8"),
        pytest.param("alllowercaseletters", id="one kind only"),
        pytest.param("lowercase1234", id="two kinds only"),
        pytest.param("Alice.Admin1", id="the user name"),
    ],
)
def test_default_policy_refuses_password_with_PasswordPolicyViolation_400(aws: Target, password: str) -> None:
    """With no account policy, AWS's default applies: 8+ characters, 3 of 4 kinds, not the user name."""
    user = aws.new_user("Alice.Admin1")
    with aws.fails("PasswordPolicyViolation", 400):
        aws.iam.create_login_profile(UserName=user, Password=password)
    with aws.fails("NoSuchEntity", 404):
        aws.iam.get_login_profile(UserName=user)


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("Abcdefg1", id="upper lower number"),
        pytest.param("abcdef1!", id="lower number symbol"),
        pytest.param("ABCDEF[]'1", id="upper number and the listed symbols"),
    ],
)
def test_default_policy_accepts_three_of_four_kinds(aws: Target, password: str) -> None:
    user = aws.new_user()
    aws.iam.create_login_profile(UserName=user, Password=password)
    assert aws.iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"] == user


def test_account_password_policy_replaces_the_default_PasswordPolicyViolation_400(aws: Target) -> None:
    aws.iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True, RequireNumbers=True)
    user = aws.new_user()
    with aws.fails("PasswordPolicyViolation", 400):
        aws.iam.create_login_profile(UserName=user, Password="Abcdefgh1234")  # default would pass
    aws.iam.create_login_profile(UserName=user, Password="all lowercase 12345 !!")  # default would fail


def test_update_login_profile_enforces_the_policy_PasswordPolicyViolation_400(aws: Target) -> None:
    user = aws.new_user()
    aws.iam.create_login_profile(UserName=user, Password=STRONG)
    with aws.fails("PasswordPolicyViolation", 400):
        aws.iam.update_login_profile(UserName=user, Password="weak")
    aws.iam.update_login_profile(UserName=user, Password="An0ther-Strong-One")


def test_password_reset_required_is_stored_and_reported(aws: Target) -> None:
    user = aws.new_user()
    created = aws.iam.create_login_profile(UserName=user, Password=STRONG, PasswordResetRequired=True)
    assert created["LoginProfile"]["PasswordResetRequired"] is True
    assert aws.iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True

    aws.iam.update_login_profile(UserName=user, PasswordResetRequired=False)

    profile = aws.iam.get_login_profile(UserName=user)["LoginProfile"]
    assert profile["PasswordResetRequired"] is False  # and the profile survived an update without a password


def test_create_when_a_login_profile_exists_is_EntityAlreadyExists_409(aws: Target) -> None:
    user = aws.new_user()
    aws.iam.create_login_profile(UserName=user, Password=STRONG)
    with aws.fails("EntityAlreadyExists", 409) as caught:
        aws.iam.create_login_profile(UserName=user, Password=STRONG)
    assert caught.value.response["Error"]["Message"] == f"Login Profile for user {user} already exists."


def test_no_login_profile_is_NoSuchEntity_404_worded_as_recorded(aws: Target) -> None:
    user = aws.new_user()
    for call in (aws.iam.get_login_profile, aws.iam.delete_login_profile):
        with aws.fails("NoSuchEntity", 404) as caught:
            call(UserName=user)
        assert caught.value.response["Error"]["Message"] == f"Login Profile for User {user} cannot be found."


def test_the_sandbox_keeps_only_a_salted_hash_of_the_console_password(aws: Target) -> None:
    """Nothing the sandbox holds gives the password back (issue 13: /moto-api/data.json showed it)."""
    user = aws.new_user()
    aws.iam.create_login_profile(UserName=user, Password=STRONG)
    aws.new_user("bob")
    aws.iam.create_login_profile(UserName="bob", Password=STRONG)
    backend = account_backend(SANDBOX_ACCOUNT_ID)
    stored, other = backend.get_user(user).password, backend.get_user("bob").password
    assert stored is not None and other is not None
    assert STRONG not in repr(vars(backend.get_user(user)))
    assert password_matches(STRONG, stored) and stored != other  # salted

    aws.iam.update_login_profile(UserName=user, Password="An0ther-Strong-One")
    renewed = backend.get_user(user).password
    assert renewed is not None and password_matches("An0ther-Strong-One", renewed)
    assert not password_matches(STRONG, renewed)


def test_the_password_policy_leaves_out_what_it_does_not_set(aws: Target) -> None:
    """Recorded on AWS (2026-02-13): no MaxPasswordAge, PasswordReusePrevention or HardExpiry unless set."""
    aws.iam.update_account_password_policy()
    policy = aws.iam.get_account_password_policy()["PasswordPolicy"]
    assert not {"MaxPasswordAge", "PasswordReusePrevention", "HardExpiry"} & set(policy)
    assert (policy["MinimumPasswordLength"], policy["ExpirePasswords"]) == (6, False)
    aws.iam.update_account_password_policy(MaxPasswordAge=60, PasswordReusePrevention=3, HardExpiry=True)
    policy = aws.iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MaxPasswordAge"], policy["PasswordReusePrevention"], policy["HardExpiry"]) == (60, 3, True)
