# Story (f): IAM as a Terraform stack builds it beside root access. A
# developer user is allowed nothing; a customer managed policy attached to
# it lets it list queues, a new default version or detaching takes that
# away, an AWS managed policy attached to its group gives it back; tags on
# the user and the policy. Sourced by e2e.sh.
echo "story: managed policies, attachments and tags"
aws_ iam create-user --user-name e2e-dev --tags Key=team,Value=blue >/dev/null
read -r DK DS <<<"$(aws_ iam create-access-key --user-name e2e-dev --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)"
dev() { as "$DK" "$DS" "" "$@"; }
expect_error "the developer may not list queues" AccessDenied -- dev sqs list-queues
POLICY=$(aws_ iam create-policy --policy-name e2e-queues --path /e2e/ --description "list queues" --tags Key=owner,Value=platform \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}' \
  --query Policy.Arn --output text)
expect_eq "the policy's ARN" "$POLICY" "arn:aws:iam::111111111111:policy/e2e/e2e-queues"
expect_error "a second policy of the name" EntityAlreadyExists -- aws_ iam create-policy --policy-name E2E-Queues \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}'
aws_ iam attach-user-policy --user-name e2e-dev --policy-arn "$POLICY"
expect_eq "list-attached-user-policies" "$(aws_ iam list-attached-user-policies --user-name e2e-dev --query 'AttachedPolicies[0].PolicyName' --output text)" "e2e-queues"
expect_eq "the attachment count" "$(aws_ iam get-policy --policy-arn "$POLICY" --query Policy.AttachmentCount --output text)" "1"
dev sqs list-queues >/dev/null && ok "attached, the developer lists queues"
aws_ iam create-policy-version --policy-arn "$POLICY" --set-as-default \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:GetQueueUrl","Resource":"*"}]}' >/dev/null
expect_eq "the versions, newest first" "$(aws_ iam list-policy-versions --policy-arn "$POLICY" --query 'Versions[].VersionId' --output text)" "v2	v1"
expect_error "a new default version takes it away" AccessDenied -- dev sqs list-queues
expect_eq "get-policy-version decodes the document" \
  "$(aws_ iam get-policy-version --policy-arn "$POLICY" --version-id v2 --query 'PolicyVersion.Document.Statement[0].Action' --output text)" "sqs:GetQueueUrl"
aws_ iam set-default-policy-version --policy-arn "$POLICY" --version-id v1
dev sqs list-queues >/dev/null && ok "back to v1, allowed again"
expect_error "the default version cannot be deleted" DeleteConflict -- aws_ iam delete-policy-version --policy-arn "$POLICY" --version-id v1
aws_ iam detach-user-policy --user-name e2e-dev --policy-arn "$POLICY"
expect_error "detached, denied" AccessDenied -- dev sqs list-queues

aws_ iam create-group --group-name e2e-devs >/dev/null
aws_ iam add-user-to-group --group-name e2e-devs --user-name e2e-dev
aws_ iam attach-group-policy --group-name e2e-devs --policy-arn arn:aws:iam::aws:policy/AmazonSQSFullAccess
dev sqs list-queues >/dev/null && ok "an AWS managed policy on the user's group allows it"
expect_eq "list-entities-for-policy" \
  "$(aws_ iam list-entities-for-policy --policy-arn arn:aws:iam::aws:policy/AmazonSQSFullAccess --query 'PolicyGroups[0].GroupName' --output text)" "e2e-devs"
expect_error "a root-task policy is not attachable" PolicyNotAttachable -- aws_ iam attach-user-policy --user-name e2e-dev \
  --policy-arn arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy

aws_ iam tag-user --user-name e2e-dev --tags Key=env,Value=e2e
expect_eq "list-user-tags" "$(aws_ iam list-user-tags --user-name e2e-dev --query 'Tags[].Key' --output text)" "env	team"
aws_ iam untag-user --user-name e2e-dev --tag-keys team
expect_eq "get-user shows the tags" "$(aws_ iam get-user --user-name e2e-dev --query 'User.Tags[].Key' --output text)" "env"
expect_eq "list-policy-tags" "$(aws_ iam list-policy-tags --policy-arn "$POLICY" --query 'Tags[0].Value' --output text)" "platform"

expect_error "a group with an attached policy" DeleteConflict -- aws_ iam delete-group --group-name e2e-devs
aws_ iam detach-group-policy --group-name e2e-devs --policy-arn arn:aws:iam::aws:policy/AmazonSQSFullAccess
aws_ iam remove-user-from-group --group-name e2e-devs --user-name e2e-dev
aws_ iam delete-group --group-name e2e-devs
aws_ iam delete-access-key --user-name e2e-dev --access-key-id "$DK"
aws_ iam delete-user --user-name e2e-dev
aws_ iam delete-policy-version --policy-arn "$POLICY" --version-id v2
aws_ iam delete-policy --policy-arn "$POLICY"
expect_error "the policy is gone" NoSuchEntity -- aws_ iam get-policy --policy-arn "$POLICY"
