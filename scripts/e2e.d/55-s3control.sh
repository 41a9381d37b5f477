# Story: S3 Control's tags of a bucket, as Terraform's provider reads them.
# The CLI sends S3 Control to {AccountId}.<endpoint host>, a name that
# resolves nowhere; HTTP_PROXY pointing at the emulator carries the request
# there unchanged (absolute form, same Host and signature). Sourced by e2e.sh.
echo "story: S3 Control bucket tags through HTTP_PROXY"
if ! "$AWS_CLI" s3control help 2>/dev/null | grep -q list-tags-for-resource; then
  echo "  skipped: this CLI has no s3control list-tags-for-resource ($("$AWS_CLI" --version 2>&1))"
  return 0
fi
TAGGED=e2e-s3control-tags
ACCOUNT=111111111111
aws_ s3api create-bucket --bucket "$TAGGED" >/dev/null
control() { HTTP_PROXY=$ENDPOINT http_proxy=$ENDPOINT NO_PROXY= no_proxy= aws_ s3control "$@"; }
expect_eq "a bucket without tags lists none" \
  "$(control list-tags-for-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::$TAGGED" --query 'length(Tags)' --output text)" "0"
control tag-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::$TAGGED" --tags Key=team,Value=platform Key=env,Value=dev
expect_eq "s3control tag-resource, then list-tags-for-resource" \
  "$(control list-tags-for-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::$TAGGED" --query 'Tags[].[Key,Value]' --output text | sort | tr '\t\n' '= ')" \
  "env=dev team=platform "
expect_eq "the same tags through s3api get-bucket-tagging" \
  "$(aws_ s3api get-bucket-tagging --bucket "$TAGGED" --query 'TagSet[].Key' --output text | tr '\t' '\n' | sort | tr '\n' ' ')" "env team "
control untag-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::$TAGGED" --tag-keys team
expect_eq "s3control untag-resource" \
  "$(control list-tags-for-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::$TAGGED" --query 'Tags[].Key' --output text)" "env"
expect_error "an unknown bucket" NoSuchResource -- control list-tags-for-resource --account-id "$ACCOUNT" --resource-arn "arn:aws:s3:::e2e-no-such-bucket"
expect_error "another account's id" AccessDenied -- control list-tags-for-resource --account-id 999999999999 --resource-arn "arn:aws:s3:::$TAGGED"
aws_ s3api delete-bucket --bucket "$TAGGED"
