#!/usr/bin/env bash
# (c) The AWS CLI, one command per step, as a person would paste them from the blog post.
# The two MFA codes come from the seed file with a Python one-liner (pyotp), as the CLI has no TOTP.
# Usage: bench/aws_cli.sh ENDPOINT_URL USER_NAME PASSWORD WORK_DIR   (keys and region from the environment)
set -euo pipefail
endpoint=$1 user=$2 password=$3 dir=$4
iam() { aws --endpoint-url "$endpoint" iam "$@"; }

iam create-user --user-name "$user" >/dev/null
iam create-login-profile --user-name "$user" --password "$password" --no-password-reset-required >/dev/null
iam attach-user-policy --user-name "$user" --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
iam attach-user-policy --user-name "$user" --policy-arn arn:aws:iam::aws:policy/job-function/Billing
serial=$(iam create-virtual-mfa-device --virtual-mfa-device-name "$user" \
  --outfile "$dir/$user.seed" --bootstrap-method Base32StringSeed \
  --query VirtualMFADevice.SerialNumber --output text)
read -r code1 code2 < <(python -c 'import sys, time, pyotp
t = pyotp.TOTP(open(sys.argv[1]).read().strip()); now = time.time()
print(t.at(now - 30), t.at(now))' "$dir/$user.seed")
iam enable-mfa-device --user-name "$user" --serial-number "$serial" \
  --authentication-code1 "$code1" --authentication-code2 "$code2"
iam create-service-specific-credential --user-name "$user" --service-name codecommit.amazonaws.com >/dev/null
