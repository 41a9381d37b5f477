# Story (a): the management account reaches into the member through
# OrganizationAccountAccessRole, locks its own bucket with a deny-all policy,
# and an S3UnlockBucketPolicy root session unlocks it. Sourced by e2e.sh.
echo "story: a bucket policy that denies everyone, unlocked by a root session"
read -r RK RS RT <<<"$(aws_ sts assume-role --role-arn "arn:aws:iam::$MEMBER:role/OrganizationAccountAccessRole" \
  --role-session-name e2e --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)"
BUCKET=e2e-locked-$MEMBER
as "$RK" "$RS" "$RT" s3api create-bucket --bucket "$BUCKET" >/dev/null
printf 'quarterly numbers\n' >"$WORK/report.txt"
as "$RK" "$RS" "$RT" s3api put-object --bucket "$BUCKET" --key reports/q3.txt --body "$WORK/report.txt" >/dev/null
as "$RK" "$RS" "$RT" s3api get-object --bucket "$BUCKET" --key reports/q3.txt "$WORK/got.txt" >/dev/null
expect_eq "the role reads its object" "$(cat "$WORK/got.txt")" "quarterly numbers"
cat >"$WORK/deny-all.json" <<POLICY
{"Version":"2012-10-17","Statement":[{"Sid":"DenyEveryone","Effect":"Deny","Principal":"*","Action":"s3:*",
 "Resource":["arn:aws:s3:::$BUCKET","arn:aws:s3:::$BUCKET/*"]}]}
POLICY
as "$RK" "$RS" "$RT" s3api put-bucket-policy --bucket "$BUCKET" --policy "file://$WORK/deny-all.json"
expect_error "the role is locked out of its object" AccessDenied -- as "$RK" "$RS" "$RT" s3api get-object --bucket "$BUCKET" --key reports/q3.txt "$WORK/got.txt"
expect_error "the role cannot remove the policy" AccessDenied -- as "$RK" "$RS" "$RT" s3api delete-bucket-policy --bucket "$BUCKET"

read -r UK US UT <<<"$(aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)"
expect_eq "the root session reads the policy" "$(as "$UK" "$US" "$UT" s3api get-bucket-policy --bucket "$BUCKET" --query Policy --output text | jq -r '.Statement[0].Sid')" "DenyEveryone"
expect_error "the root session may not read objects" AccessDenied -- as "$UK" "$US" "$UT" s3api get-object --bucket "$BUCKET" --key reports/q3.txt "$WORK/got.txt"
as "$UK" "$US" "$UT" s3api delete-bucket-policy --bucket "$BUCKET"
ok "the root session deletes the policy"
rm -f "$WORK/got.txt"
as "$RK" "$RS" "$RT" s3api get-object --bucket "$BUCKET" --key reports/q3.txt "$WORK/got.txt" >/dev/null
expect_eq "the role reads its object again" "$(cat "$WORK/got.txt")" "quarterly numbers"
