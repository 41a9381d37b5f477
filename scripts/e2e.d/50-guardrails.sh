# Story (d): a platform team's guardrail. The member goes into an OU, an SCP
# on the OU denies s3:DeleteBucketPolicy, and even an S3UnlockBucketPolicy
# root session is refused, in AWS's words; detached, the unlock works.
# Sourced by e2e.sh.
echo "story: an SCP on an OU binds the member's root session"
ROOT_ID=$(aws_ organizations list-roots --query 'Roots[0].Id' --output text)
OU=$(aws_ organizations create-organizational-unit --parent-id "$ROOT_ID" --name guarded --query OrganizationalUnit.Id --output text)
expect_eq "the OU is under the root" "$(aws_ organizations list-parents --child-id "$OU" --query 'Parents[0].Type' --output text)" "ROOT"
aws_ organizations move-account --account-id "$MEMBER" --source-parent-id "$ROOT_ID" --destination-parent-id "$OU"
expect_eq "the member is in the OU" "$(aws_ organizations list-parents --child-id "$MEMBER" --query 'Parents[0].Id' --output text)" "$OU"
expect_eq "SCPs enabled" "$(aws_ organizations enable-policy-type --root-id "$ROOT_ID" --policy-type SERVICE_CONTROL_POLICY --query 'Root.PolicyTypes[0].Status' --output text)" "ENABLED"
expect_eq "FullAWSAccess on the OU" "$(aws_ organizations list-policies-for-target --target-id "$OU" --filter SERVICE_CONTROL_POLICY --query 'Policies[0].Name' --output text)" "FullAWSAccess"
SCP=$(aws_ organizations create-policy --type SERVICE_CONTROL_POLICY --name no-unlock --description "no bucket policy deletion" \
  --content '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucketPolicy","Resource":"*"}]}' \
  --query Policy.PolicySummary.Id --output text)
aws_ organizations attach-policy --policy-id "$SCP" --target-id "$OU"
expect_error "a second attachment" DuplicatePolicyAttachmentException -- aws_ organizations attach-policy --policy-id "$SCP" --target-id "$OU"
expect_error "deleting an attached policy" PolicyInUseException -- aws_ organizations delete-policy --policy-id "$SCP"
expect_error "an SCP with a Principal" MalformedPolicyDocumentException -- aws_ organizations create-policy --type SERVICE_CONTROL_POLICY \
  --name bad --description "" --content '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}'

GUARDED=e2e-guarded-$MEMBER
as "$RK" "$RS" "$RT" s3api create-bucket --bucket "$GUARDED" >/dev/null
as "$RK" "$RS" "$RT" s3api put-bucket-policy --bucket "$GUARDED" --policy \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::$GUARDED\",\"arn:aws:s3:::$GUARDED/*\"]}]}"
read -r GK GS GT <<<"$(aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)"
if out=$(as "$GK" "$GS" "$GT" s3api delete-bucket-policy --bucket "$GUARDED" 2>&1); then
  bad "the SCP did not stop the root session"
elif grep -q "explicit deny in a service control policy" <<<"$out"; then
  ok "the root session is refused with an explicit deny in a service control policy"
else
  bad "the root session: want an SCP denial, got: $out"
fi
aws_ organizations detach-policy --policy-id "$SCP" --target-id "$OU"
as "$GK" "$GS" "$GT" s3api delete-bucket-policy --bucket "$GUARDED"
ok "detached, the root session unlocks the bucket"
aws_ organizations delete-policy --policy-id "$SCP"
aws_ organizations move-account --account-id "$MEMBER" --source-parent-id "$OU" --destination-parent-id "$ROOT_ID"
aws_ organizations delete-organizational-unit --organizational-unit-id "$OU"
expect_eq "the OU is gone" "$(aws_ organizations list-organizational-units-for-parent --parent-id "$ROOT_ID" --query 'length(OrganizationalUnits)' --output text)" "0"
