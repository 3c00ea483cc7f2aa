"""Console passwords: IAM enforces the password policy, or AWS's default one.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
"""

from __future__ import annotations

import pytest

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
    with aws.fails("EntityAlreadyExists", 409):
        aws.iam.create_login_profile(UserName=user, Password=STRONG)
