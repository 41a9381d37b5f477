# Story (b): the same with a queue; the CLI v1 speaks SQS's JSON protocol,
# Debian's CLI v2 the query protocol. Sourced by e2e.sh.
echo "story: a queue policy that denies everyone, unlocked by a root session"
QURL=$(as "$RK" "$RS" "$RT" sqs create-queue --queue-name e2e-locked --query QueueUrl --output text)
as "$RK" "$RS" "$RT" sqs send-message --queue-url "$QURL" --message-body '{"order":42}' >/dev/null
QARN=$(as "$RK" "$RS" "$RT" sqs get-queue-attributes --queue-url "$QURL" --attribute-names QueueArn --query Attributes.QueueArn --output text)
jq -n --arg arn "$QARN" '{Policy: ({Version:"2012-10-17",Statement:[{Sid:"DenyEveryone",Effect:"Deny",Principal:"*",Action:"sqs:*",Resource:$arn}]} | tojson)}' >"$WORK/queue-deny.json"
as "$RK" "$RS" "$RT" sqs set-queue-attributes --queue-url "$QURL" --attributes "file://$WORK/queue-deny.json"
expect_error "the role cannot receive" AccessDenied -- as "$RK" "$RS" "$RT" sqs receive-message --queue-url "$QURL"
read -r QK QS QT <<<"$(aws_ sts assume-root --target-principal "$MEMBER" \
  --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy \
  --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken]' --output text)"
expect_eq "the root session finds the queue" "$(as "$QK" "$QS" "$QT" sqs get-queue-url --queue-name e2e-locked --query QueueUrl --output text)" "$QURL"
expect_error "the root session may not receive" AccessDenied -- as "$QK" "$QS" "$QT" sqs receive-message --queue-url "$QURL"
as "$QK" "$QS" "$QT" sqs set-queue-attributes --queue-url "$QURL" --attributes Policy=
ok "the root session removes the policy"
expect_eq "the role receives its message" "$(as "$RK" "$RS" "$RT" sqs receive-message --queue-url "$QURL" --query 'Messages[0].Body' --output text)" '{"order":42}'
