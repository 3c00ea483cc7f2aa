"""Who the sandbox is: one AWS account, reached with its root user's static key."""

SANDBOX_ACCOUNT_ID: str = "123456789012"
"""The sandbox's account: moto's default account, so every moto client lands in it."""

SANDBOX_ROOT_ACCESS_KEY_ID: str = "AKIASANDBOXROOT00001"
"""A key no IAM user owns, so the sandbox takes its caller for the root user.

Any secret key goes with it: moto does not check signatures.
"""
