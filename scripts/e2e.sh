#!/usr/bin/env bash
# End-to-end check with real AWS clients: build the emulator, start it on a
# free port with a fresh data file, run AWS's root-access walkthrough with the
# AWS CLI, restart it on the same file and check that the world and the root
# session survived.
#
#   scripts/e2e.sh              # AWS CLI v1 (`aws` on PATH)
#   AWS_CLI=/path/to/aws scripts/e2e.sh   # any other CLI (e.g. the v2 wrapper from shared/tools)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AWS_CLI=${AWS_CLI:-aws}
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); printf '  ok   %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf '  FAIL %s\n' "$*"; }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }
# expect_error WHAT CODE -- command...: the command must fail with the AWS error code.
expect_error() {
  local what=$1 code=$2 out
  shift 3
  if out=$("$@" 2>&1); then
    bad "$what: succeeded, want $code"
  elif grep -q "($code)" <<<"$out"; then
    ok "$what → $code"
  else
    bad "$what: want $code, got: $out"
  fi
}

echo "building the emulator"
(cd "$ROOT" && go build -o "$WORK/emulator" ./cmd/emulator)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
ENDPOINT=http://127.0.0.1:$PORT
DATA=$WORK/emulator.db

start() {
  "$WORK/emulator" -addr "127.0.0.1:$PORT" -data "$DATA" -create-account-delay 1s -trail-delivery-interval 1s >"$WORK/emulator.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -fs "$ENDPOINT/_emulator/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$WORK/emulator.log"
  echo "emulator did not become healthy" >&2
  exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

# A clean, isolated client environment: nothing from the machine leaks in.
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE || true
aws_() { "$AWS_CLI" --endpoint-url "$ENDPOINT" "$@"; }
# as KEY SECRET TOKEN command...: run the CLI with other credentials.
as() { local k=$1 s=$2 t=$3; shift 3; AWS_ACCESS_KEY_ID=$k AWS_SECRET_ACCESS_KEY=$s AWS_SESSION_TOKEN=$t aws_ "$@"; }

start
echo "emulator on $ENDPOINT ($("$AWS_CLI" --version 2>&1))"

echo "walkthrough: identity and organization"
expect_eq "caller is the admin user" "$(aws_ sts get-caller-identity --query Arn --output text)" "arn:aws:iam::111111111111:user/admin"
expect_eq "organization has all features" "$(aws_ organizations describe-organization --query Organization.FeatureSet --output text)" "ALL"

echo "walkthrough: create a member account"
REQ=$(aws_ organizations create-account --email workload@example.com --account-name workload --query CreateAccountStatus.Id --output text)
STATE=
for _ in $(seq 50); do
  STATE=$(aws_ organizations describe-create-account-status --create-account-request-id "$REQ" --query CreateAccountStatus.State --output text)
  [ "$STATE" = SUCCEEDED ] && break
  sleep 0.2
done
expect_eq "create-account finished" "$STATE" "SUCCEEDED"
MEMBER=$(aws_ organizations describe-create-account-status --create-account-request-id "$REQ" --query CreateAccountStatus.AccountId --output text)
expect_eq "member listed" "$(aws_ organizations list-accounts --query "Accounts[?Id=='$MEMBER'].Name | [0]" --output text)" "workload"

echo "walkthrough: refusals before root access is enabled"
expect_error "assume-root before RootSessions" AccessDenied -- aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials
expect_error "enable root sessions before trusted access" ServiceAccessNotEnabledException -- aws_ iam enable-organizations-root-sessions

echo "walkthrough: enable centralized root access"
aws_ organizations enable-aws-service-access --service-principal iam.amazonaws.com
expect_eq "trusted access for IAM" "$(aws_ organizations list-aws-service-access-for-organization --query 'EnabledServicePrincipals[].ServicePrincipal' --output text)" "iam.amazonaws.com"
expect_eq "enable root credentials management" "$(aws_ iam enable-organizations-root-credentials-management --query 'EnabledFeatures' --output text)" "RootCredentialsManagement"
expect_eq "enable root sessions" "$(aws_ iam enable-organizations-root-sessions --query 'EnabledFeatures' --output text)" "RootCredentialsManagement	RootSessions"
expect_eq "list features" "$(aws_ iam list-organizations-features --query 'EnabledFeatures' --output text)" "RootCredentialsManagement	RootSessions"

echo "walkthrough: assume root"
read -r KEY SECRET TOKEN <<<"$(aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)"
expect_eq "root session key is temporary" "${KEY:0:4}" "ASIA"
expect_eq "root session identity" "$(as "$KEY" "$SECRET" "$TOKEN" sts get-caller-identity --query '[Account,UserId,Arn]' --output text)" \
  "$MEMBER	$MEMBER	arn:aws:iam::$MEMBER:root"

echo "walkthrough: refusals"
expect_error "a sixth task policy" ValidationError -- aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/AdministratorAccess
expect_error "901 seconds" ValidationError -- aws_ sts assume-root --target-principal "$MEMBER" --duration-seconds 901 \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials
expect_error "the management account as target" AccessDenied -- aws_ sts assume-root --target-principal 111111111111 \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials
expect_error "a root session calling assume-root" AccessDenied -- as "$KEY" "$SECRET" "$TOKEN" sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials
expect_error "a wrong secret" SignatureDoesNotMatch -- as test wrong "" sts get-caller-identity
expect_error "an unknown key" InvalidClientTokenId -- as AKIAUNKNOWNKEY000000 secret "" sts get-caller-identity
expect_error "a session without its token" InvalidClientTokenId -- as "$KEY" "$SECRET" "" sts get-caller-identity

for story in "$ROOT"/scripts/e2e.d/*.sh; do
  [ -e "$story" ] || continue
  # shellcheck source=/dev/null
  source "$story"
done

echo "restart on the same data file"
stop
start
expect_eq "member survives" "$(aws_ organizations describe-account --account-id "$MEMBER" --query Account.Name --output text)" "workload"
expect_eq "features survive" "$(aws_ iam list-organizations-features --query 'EnabledFeatures' --output text)" "RootCredentialsManagement	RootSessions"
expect_eq "root session survives" "$(as "$KEY" "$SECRET" "$TOKEN" sts get-caller-identity --query Arn --output text)" "arn:aws:iam::$MEMBER:root"

echo "expiry"
curl -fs -X POST "$ENDPOINT/_emulator/clock" -d '{"advance":"16m"}' >/dev/null
expect_error "root session after 16 minutes" ExpiredToken -- as "$KEY" "$SECRET" "$TOKEN" sts get-caller-identity
stop
start
expect_error "still expired after a restart" ExpiredToken -- as "$KEY" "$SECRET" "$TOKEN" sts get-caller-identity

echo
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
