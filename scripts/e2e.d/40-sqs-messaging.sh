# Story (d): what projects that test against the emulator do with SQS:
# batches, visibility changes, a long poll, a FIFO queue, a dead-letter
# queue, tags and a purge. The CLI v1 speaks SQS's JSON protocol, Debian's
# CLI v2 the query protocol. Sourced by e2e.sh.
echo "story: SQS messaging (batches, visibility, long poll, FIFO, redrive)"
WQ=$(aws_ sqs create-queue --queue-name e2e-work --query QueueUrl --output text)
cat >"$WORK/batch.json" <<'BATCH'
[{"Id":"one","MessageBody":"first"},
 {"Id":"two","MessageBody":"second","MessageAttributes":{"kind":{"DataType":"String","StringValue":"urgent"}}},
 {"Id":"three","MessageBody":"third"}]
BATCH
expect_eq "send-message-batch: three sent" "$(aws_ sqs send-message-batch --queue-url "$WQ" --entries "file://$WORK/batch.json" --query 'length(Successful)' --output text)" "3"
expect_error "send-message-batch: ids must be distinct" AWS.SimpleQueueService.BatchEntryIdsNotDistinct -- \
  aws_ sqs send-message-batch --queue-url "$WQ" --entries Id=a,MessageBody=x Id=a,MessageBody=y
aws_ sqs receive-message --queue-url "$WQ" --max-number-of-messages 10 --message-attribute-names All >"$WORK/received.json"
expect_eq "receive-message: all three in order" "$(jq -r '[.Messages[].Body] | join(",")' "$WORK/received.json")" "first,second,third"
expect_eq "receive-message: the attribute" "$(jq -r '.Messages[1].MessageAttributes.kind.StringValue' "$WORK/received.json")" "urgent"
aws_ sqs change-message-visibility --queue-url "$WQ" --receipt-handle "$(jq -r '.Messages[0].ReceiptHandle' "$WORK/received.json")" --visibility-timeout 0
read -r BODY COUNT HANDLE <<<"$(aws_ sqs receive-message --queue-url "$WQ" --attribute-names ApproximateReceiveCount \
  --query 'Messages[0].[Body,Attributes.ApproximateReceiveCount,ReceiptHandle]' --output text)"
expect_eq "change-message-visibility 0: received again" "$BODY $COUNT" "first 2"
jq -n --arg h "$HANDLE" '[{Id: "back", ReceiptHandle: $h, VisibilityTimeout: 0}]' >"$WORK/visibility.json"
expect_eq "change-message-visibility-batch" "$(aws_ sqs change-message-visibility-batch --queue-url "$WQ" --entries "file://$WORK/visibility.json" --query 'Successful[0].Id' --output text)" "back"
# The other two are still in flight from the first receive (30 s visibility):
# move emulated time past it, then take all three.
curl -fs -X POST "$ENDPOINT/_emulator/clock" -d '{"advance":"31s"}' >/dev/null
aws_ sqs receive-message --queue-url "$WQ" --max-number-of-messages 10 >"$WORK/received.json"
jq '[.Messages | to_entries[] | {Id: ("m\(.key)"), ReceiptHandle: .value.ReceiptHandle}]' "$WORK/received.json" >"$WORK/delete.json"
expect_eq "delete-message-batch: all deleted" "$(aws_ sqs delete-message-batch --queue-url "$WQ" --entries "file://$WORK/delete.json" --query 'length(Successful)' --output text)" "3"
expect_eq "the queue is empty" "$(aws_ sqs get-queue-attributes --queue-url "$WQ" --attribute-names All --query '[Attributes.ApproximateNumberOfMessages,Attributes.ApproximateNumberOfMessagesNotVisible]' --output text)" "0	0"

aws_ sqs receive-message --queue-url "$WQ" --wait-time-seconds 20 --query 'Messages[0].Body' --output text >"$WORK/polled.txt" &
POLL=$!
sleep 0.5
aws_ sqs send-message --queue-url "$WQ" --message-body "worth the wait" >/dev/null
wait "$POLL"
expect_eq "a long poll returns the message that arrives" "$(cat "$WORK/polled.txt")" "worth the wait"

aws_ sqs tag-queue --queue-url "$WQ" --tags team=payments,env=e2e
expect_eq "list-queue-tags" "$(aws_ sqs list-queue-tags --queue-url "$WQ" --query 'Tags.team' --output text)" "payments"
aws_ sqs purge-queue --queue-url "$WQ"
ok "purge-queue"
expect_error "a second purge within 60 s" AWS.SimpleQueueService.PurgeQueueInProgress -- aws_ sqs purge-queue --queue-url "$WQ"

FQ=$(aws_ sqs create-queue --queue-name e2e-orders.fifo --attributes FifoQueue=true,ContentBasedDeduplication=true --query QueueUrl --output text)
FIRST=$(aws_ sqs send-message --queue-url "$FQ" --message-group-id g --message-body one --query MessageId --output text)
aws_ sqs send-message --queue-url "$FQ" --message-group-id g --message-body two >/dev/null
aws_ sqs send-message --queue-url "$FQ" --message-group-id g --message-body three >/dev/null
expect_eq "FIFO: a duplicate body is deduplicated" "$(aws_ sqs send-message --queue-url "$FQ" --message-group-id g --message-body one --query MessageId --output text)" "$FIRST"
expect_eq "FIFO: order within the group" "$(aws_ sqs receive-message --queue-url "$FQ" --max-number-of-messages 10 --query 'join(`,`, Messages[].Body)' --output text)" "one,two,three"
expect_error "FIFO: MessageGroupId is required" MissingParameter -- aws_ sqs send-message --queue-url "$FQ" --message-body four

DQ=$(aws_ sqs create-queue --queue-name e2e-dead --query QueueUrl --output text)
DARN=$(aws_ sqs get-queue-attributes --queue-url "$DQ" --attribute-names QueueArn --query Attributes.QueueArn --output text)
jq -n --arg arn "$DARN" '{RedrivePolicy: ({deadLetterTargetArn: $arn, maxReceiveCount: 1} | tojson)}' >"$WORK/redrive.json"
SQ=$(aws_ sqs create-queue --queue-name e2e-source --attributes "file://$WORK/redrive.json" --query QueueUrl --output text)
aws_ sqs send-message --queue-url "$SQ" --message-body poison >/dev/null
aws_ sqs receive-message --queue-url "$SQ" --visibility-timeout 0 >/dev/null
expect_eq "redrive: gone from the source after one receive" "$(aws_ sqs receive-message --queue-url "$SQ" --query 'length(Messages || `[]`)' --output text)" "0"
expect_eq "redrive: in the dead-letter queue" "$(aws_ sqs receive-message --queue-url "$DQ" --query 'Messages[0].Body' --output text)" "poison"
expect_eq "list-dead-letter-source-queues" "$(aws_ sqs list-dead-letter-source-queues --queue-url "$DQ" --query 'queueUrls[0]' --output text)" "$SQ"
