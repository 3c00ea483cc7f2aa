"""(b) The floor: a minimal boto3 script making the procedure's 7 writes, and nothing else.

No reads, no plan, no secrets file: the least a Python script can do for the same result.
Usage: python bench/floor_boto3.py USER_NAME PASSWORD   (endpoint and keys from the environment)
"""

import sys
import time

import boto3
import pyotp

user, password = sys.argv[1], sys.argv[2]
iam = boto3.client("iam")
iam.create_user(UserName=user)
iam.create_login_profile(UserName=user, Password=password, PasswordResetRequired=False)
iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/job-function/Billing")
device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
totp = pyotp.TOTP(device["Base32StringSeed"].decode())
now = time.time()
iam.enable_mfa_device(
    UserName=user,
    SerialNumber=device["SerialNumber"],
    AuthenticationCode1=totp.at(now - 30),
    AuthenticationCode2=totp.at(now),
)
iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
