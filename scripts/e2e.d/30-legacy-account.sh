# Story (c): a legacy account from a scenario; audit, delete, audit again,
# the old root key refused, then password recovery. Sourced by e2e.sh.
echo "story: a legacy account's root credentials, audited, deleted and recovered"
cat >"$WORK/legacy.json" <<'SCENARIO'
{"accounts": [{"name": "legacy-e2e", "root": {
  "password": true,
  "access_keys": [{"id": "AKIAE2ELEGACYROOT001", "secret": "e2e-legacy-root-secret-0000000000000001"}],
  "signing_certificates": [{}],
  "mfa_devices": [{}]}}]}
SCENARIO
LEGACY=$(curl -fs -X POST "$ENDPOINT/_emulator/scenario" --data-binary "@$WORK/legacy.json" | jq -r '.accounts[0].id')
expect_eq "the old root key works before" "$(as AKIAE2ELEGACYROOT001 e2e-legacy-root-secret-0000000000000001 "" sts get-caller-identity --query Arn --output text)" "arn:aws:iam::$LEGACY:root"
session() {
  aws_ sts assume-root --target-principal "$LEGACY" --task-policy-arn "arn=arn:aws:iam::aws:policy/root-task/$1" \
    --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text
}
read -r AK AS AT <<<"$(session IAMAuditRootUserCredentials)"
audit() { as "$AK" "$AS" "$AT" "$@"; }
expect_eq "audit: password, keys, certificates, MFA present" \
  "$(audit iam get-account-summary --query '[SummaryMap.AccountPasswordPresent,SummaryMap.AccountAccessKeysPresent,SummaryMap.AccountSigningCertificatesPresent,SummaryMap.AccountMFAEnabled]' --output text)" "1	1	1	1"
audit iam get-login-profile >/dev/null && ok "audit: get-login-profile"
expect_eq "audit: the root access key" "$(audit iam list-access-keys --query 'AccessKeyMetadata[0].AccessKeyId' --output text)" "AKIAE2ELEGACYROOT001"
CERT=$(audit iam list-signing-certificates --query 'Certificates[0].CertificateId' --output text)
MFA=$(audit iam list-mfa-devices --query 'MFADevices[0].SerialNumber' --output text)
expect_eq "audit: the MFA device" "$MFA" "arn:aws:iam::$LEGACY:mfa/root-account-mfa-device"
expect_error "audit may not delete" AccessDenied -- audit iam delete-login-profile

read -r DK DS DT <<<"$(session IAMDeleteRootUserCredentials)"
del() { as "$DK" "$DS" "$DT" "$@"; }
del iam delete-login-profile
del iam delete-access-key --access-key-id AKIAE2ELEGACYROOT001
del iam delete-signing-certificate --certificate-id "$CERT"
del iam deactivate-mfa-device --serial-number "$MFA"
ok "delete: password, key, certificate and MFA removed"
expect_error "delete may not summarize" AccessDenied -- del iam get-account-summary

read -r AK AS AT <<<"$(session IAMAuditRootUserCredentials)"
expect_eq "audit again: nothing left" \
  "$(audit iam get-account-summary --query '[SummaryMap.AccountPasswordPresent,SummaryMap.AccountAccessKeysPresent,SummaryMap.AccountSigningCertificatesPresent,SummaryMap.AccountMFAEnabled]' --output text)" "0	0	0	0"
expect_error "audit again: no password" NoSuchEntity -- audit iam get-login-profile
expect_error "the old root key is refused" InvalidClientTokenId -- as AKIAE2ELEGACYROOT001 e2e-legacy-root-secret-0000000000000001 "" sts get-caller-identity

read -r CK CS CT <<<"$(session IAMCreateRootUserPassword)"
as "$CK" "$CS" "$CT" iam create-login-profile >/dev/null
ok "create-password: account recovery re-enabled"
as "$CK" "$CS" "$CT" iam get-login-profile >/dev/null && ok "create-password: the login profile exists"
expect_error "create-password may not list keys" AccessDenied -- as "$CK" "$CS" "$CT" iam list-access-keys
