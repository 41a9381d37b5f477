package sqs_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

func bodiesOf(msgs []sqstypes.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func TestSQS_FIFO(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "orders.fifo", map[string]string{"FifoQueue": "true"})

	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	require.NoError(t, err)
	assert.Equal(t, "true", attrs.Attributes["FifoQueue"])
	assert.Equal(t, "false", attrs.Attributes["ContentBasedDeduplication"])
	assert.Equal(t, "queue", attrs.Attributes["DeduplicationScope"])
	assert.Equal(t, "perQueue", attrs.Attributes["FifoThroughputLimit"])

	send := func(group, dedup, body string) *sqs.SendMessageOutput {
		t.Helper()
		out, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(body),
			MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedup)})
		require.NoError(t, err)
		return out
	}
	a1 := send("A", "a1", "a-1")
	send("A", "a2", "a-2")
	send("B", "b1", "b-1")
	dup := send("A", "a1", "a-1 again")
	assert.Equal(t, aws.ToString(a1.MessageId), aws.ToString(dup.MessageId), "a duplicate is answered as the original")
	assert.Equal(t, aws.ToString(a1.SequenceNumber), aws.ToString(dup.SequenceNumber))
	assert.Len(t, aws.ToString(a1.SequenceNumber), 20)

	// Order per group; a group with a message in flight yields nothing more.
	recv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 2,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a-1", "a-2"}, bodiesOf(recv.Messages))
	assert.Equal(t, "A", recv.Messages[0].Attributes["MessageGroupId"])
	assert.Equal(t, "a1", recv.Messages[0].Attributes["MessageDeduplicationId"])
	assert.Equal(t, aws.ToString(a1.SequenceNumber), recv.Messages[0].Attributes["SequenceNumber"])
	more, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"b-1"}, bodiesOf(more.Messages), "group A is in flight")
	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: recv.Messages[0].ReceiptHandle})
	require.NoError(t, err)
	none, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	assert.Empty(t, none.Messages, "a-2 is still in flight, b-1 too")
	srv.Clock.Advance(31 * time.Second)
	again, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"a-2", "b-1"}, bodiesOf(again.Messages))
	for _, m := range again.Messages {
		_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle})
		require.NoError(t, err)
	}

	// A batch keeps its order within a group.
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 5 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(fmt.Sprint("g-", i)),
			MessageGroupId: aws.String("G"), MessageDeduplicationId: aws.String(fmt.Sprint("g", i))})
	}
	batch, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: entries})
	require.NoError(t, err)
	require.Len(t, batch.Successful, 5)
	assert.Less(t, aws.ToString(batch.Successful[0].SequenceNumber), aws.ToString(batch.Successful[4].SequenceNumber))
	var got []string
	for range 5 {
		m := receiveOne(t, client, q)
		got = append(got, aws.ToString(m.Body))
		_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"g-0", "g-1", "g-2", "g-3", "g-4"}, got)

	// Deduplication lasts five minutes.
	srv.Clock.Advance(6 * time.Minute)
	fresh := send("A", "a1", "a-1 once more")
	assert.NotEqual(t, aws.ToString(a1.MessageId), aws.ToString(fresh.MessageId))

	// FIFO rules.
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("x")})
	assert.Equal(t, "MissingParameter", testkit.ErrorCode(err), "MessageGroupId is required")
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageGroupId: aws.String("A")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err), "no deduplication id, no content-based deduplication")
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageGroupId: aws.String("A"),
		MessageDeduplicationId: aws.String("d"), DelaySeconds: 5})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err), "no per-message delay on FIFO queues")
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), MessageGroupId: aws.String("A"),
		MessageDeduplicationId: aws.String("bad id é")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"FifoQueue": "false"}})
	assert.Equal(t, "InvalidAttributeName", testkit.ErrorCode(err))
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"FifoThroughputLimit": "perMessageGroupId"}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err), "needs DeduplicationScope messageGroup")
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"DeduplicationScope": "everywhere"}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err))
	std := newQueue(t, client, "standard", nil)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: std, Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	assert.Equal(t, "InvalidAttributeName", testkit.ErrorCode(err))
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: std, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
}

func TestSQS_FIFOContentBasedDeduplication(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	client := sqsClient(srv, admin)
	q := newQueue(t, client, "cbd.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true",
		"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	first, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("same"), MessageGroupId: aws.String("A")})
	require.NoError(t, err)
	second, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("same"), MessageGroupId: aws.String("A")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(first.MessageId), aws.ToString(second.MessageId), "same body, same group")
	other, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("same"), MessageGroupId: aws.String("B")})
	require.NoError(t, err)
	assert.NotEqual(t, aws.ToString(first.MessageId), aws.ToString(other.MessageId), "deduplication is per group here")

	// Over query, FIFO members and the sequence number.
	body, err := sqsQuery(t, srv, admin, sqsPathOf(t, *q), url.Values{"Action": {"SendMessage"}, "MessageBody": {"q"}, "MessageGroupId": {"C"}})
	require.NoError(t, err)
	var sent struct{ MessageId, SequenceNumber string }
	sqsQueryResult(t, body, "SendMessage", &sent)
	assert.Len(t, sent.SequenceNumber, 20)
	assert.Equal(t, [3]string{"3", "0", "0"}, queueCounts(t, client, q))
}
