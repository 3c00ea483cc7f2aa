"""Bad input gets a message that names the parameter and the fix, before any AWS call."""

import pytest

from runbook_lib.errors import InputError, SecretParameterError
from runbook_lib.params import parse


def test_defaults_are_the_blog_procedure_on_the_sandbox() -> None:
    p = parse({})
    assert p.policies == ["AdministratorAccess", "Billing"] and p.target == "sandbox" and p.mfa and p.codecommit


@pytest.mark.parametrize(
    ("raw", "parameter"),
    [
        ({"user_name": "bad name!"}, "user_name"),
        ({"user_name": "x" * 65}, "user_name"),
        ({"target": "prod"}, "target"),
        ({"region": "us-east-9"}, "region"),
        ({"mfa_codes": "sms"}, "mfa_codes"),
        ({"mfa": "maybe"}, "mfa"),
        ({"usr_name": "alice"}, "usr_name"),
        ({"codecommit_user": "Administrator"}, "codecommit_user"),
    ],
)
def test_bad_input_names_the_parameter_and_the_fix(raw: dict[str, object], parameter: str) -> None:
    with pytest.raises(InputError) as err:
        parse(raw)
    assert err.value.parameter == parameter and err.value.fix


@pytest.mark.parametrize(
    "raw",
    [
        {"password": "Sup3r-Secret!"},
        {"mfa_codes": "381920,572014"},
        {"user_name": "JBSWY3DPEHPK3PXPJBSWY3DP"},
        {"aws_secret_access_key": "not-shown-value"},
        {"profile": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    ],
)
def test_secret_parameters_are_refused_without_echoing_them(raw: dict[str, str]) -> None:
    with pytest.raises(SecretParameterError) as err:
        parse(raw)
    for value in raw.values():
        assert value not in str(err.value)
    assert "RUNBOOK_PASSWORD" in str(err.value)


def test_policies_accept_a_comma_separated_string() -> None:
    assert parse({"policies": "AdministratorAccess, Billing"}).policies == ["AdministratorAccess", "Billing"]
