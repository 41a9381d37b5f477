package sqs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

// newQueue creates a queue with attributes and returns its URL.
func newQueue(t *testing.T, client *sqs.Client, name string, attrs map[string]string) *string {
	t.Helper()
	out, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err)
	return out.QueueUrl
}

// rawClient is an SQS client whose own input validation is off, so that
// the server's batch rules are what a test sees.
func rawClient(srv *apitest.Server) *sqs.Client {
	return sqs.NewFromConfig(srv.Config(srv.AdminCredentials()), func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, testkit.SkipInputValidation)
	})
}

func sendEntries(n int, body func(i int) string) []sqstypes.SendMessageBatchRequestEntry {
	var out []sqstypes.SendMessageBatchRequestEntry
	for i := range n {
		out = append(out, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("m%d", i)), MessageBody: aws.String(body(i))})
	}
	return out
}

func TestSQS_Batches(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "batch", nil)

	sent, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("first"), MessageBody: aws.String("one"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"SellerName": {DataType: aws.String("String"), StringValue: aws.String("Example Store")}}},
		{Id: aws.String("second_2"), MessageBody: aws.String("two"), DelaySeconds: 60},
		{Id: aws.String("bad"), MessageBody: aws.String("bell \x07")},
		{Id: aws.String("third-3"), MessageBody: aws.String("three")},
	}})
	require.NoError(t, err)
	require.Len(t, sent.Successful, 3)
	assert.Equal(t, "first", aws.ToString(sent.Successful[0].Id))
	assert.Equal(t, sqsMD5Of("one"), aws.ToString(sent.Successful[0].MD5OfMessageBody))
	assert.Equal(t, "cd28f3b68aeee4b2eac9c66f2f694b58", aws.ToString(sent.Successful[0].MD5OfMessageAttributes))
	assert.Nil(t, sent.Successful[1].MD5OfMessageAttributes)
	require.Len(t, sent.Failed, 1)
	assert.Equal(t, "bad", aws.ToString(sent.Failed[0].Id))
	assert.Equal(t, "InvalidMessageContents", aws.ToString(sent.Failed[0].Code))
	assert.True(t, sent.Failed[0].SenderFault)
	assert.NotEmpty(t, aws.ToString(sent.Failed[0].Message))

	recv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	require.NoError(t, err)
	require.Len(t, recv.Messages, 2, "the delayed entry is not visible yet")
	assert.Equal(t, []string{"one", "three"}, []string{aws.ToString(recv.Messages[0].Body), aws.ToString(recv.Messages[1].Body)})
	assert.Equal(t, aws.ToString(sent.Successful[0].MessageId), aws.ToString(recv.Messages[0].MessageId))
	assert.Equal(t, "cd28f3b68aeee4b2eac9c66f2f694b58", aws.ToString(recv.Messages[0].MD5OfMessageAttributes))

	// ChangeMessageVisibilityBatch: one message back at once, one hidden
	// longer, one handle that is not a handle.
	changed, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q,
		Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("a"), ReceiptHandle: recv.Messages[0].ReceiptHandle, VisibilityTimeout: 0},
			{Id: aws.String("b"), ReceiptHandle: recv.Messages[1].ReceiptHandle, VisibilityTimeout: 600},
			{Id: aws.String("c"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 5},
		}})
	require.NoError(t, err)
	assert.Len(t, changed.Successful, 2)
	require.Len(t, changed.Failed, 1)
	assert.Equal(t, "c", aws.ToString(changed.Failed[0].Id))
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(changed.Failed[0].Code))

	srv.Clock.Advance(61 * time.Second) // the delayed entry is visible, "three" is not
	again, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, again.Messages, 2)
	assert.Equal(t, []string{"one", "two"}, []string{aws.ToString(again.Messages[0].Body), aws.ToString(again.Messages[1].Body)})

	deleted, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: again.Messages[0].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: again.Messages[1].ReceiptHandle},
		{Id: aws.String("z"), ReceiptHandle: aws.String("nope")},
	}})
	require.NoError(t, err)
	assert.Len(t, deleted.Successful, 2)
	require.Len(t, deleted.Failed, 1)
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(deleted.Failed[0].Code))
	counts, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	require.NoError(t, err)
	assert.Equal(t, "0", counts.Attributes["ApproximateNumberOfMessages"])
	assert.Equal(t, "1", counts.Attributes["ApproximateNumberOfMessagesNotVisible"], "three is still hidden")

	// The rules of every batch, refused as a whole.
	raw := rawClient(srv)
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []sqstypes.SendMessageBatchRequestEntry{}})
	var empty *sqstypes.EmptyBatchRequest
	require.ErrorAs(t, err, &empty)
	assert.Equal(t, "AWS.SimpleQueueService.EmptyBatchRequest", empty.ErrorCode())
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: sendEntries(11, func(int) string { return "x" })})
	var tooMany *sqstypes.TooManyEntriesInBatchRequest
	require.ErrorAs(t, err, &tooMany)
	assert.Equal(t, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", tooMany.ErrorCode())
	dup := sendEntries(2, func(int) string { return "x" })
	dup[1].Id = dup[0].Id
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: dup})
	var notDistinct *sqstypes.BatchEntryIdsNotDistinct
	require.ErrorAs(t, err, &notDistinct)
	assert.Equal(t, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", notDistinct.ErrorCode())
	bad := sendEntries(1, func(int) string { return "x" })
	bad[0].Id = aws.String("not valid!")
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: bad})
	var invalidID *sqstypes.InvalidBatchEntryId
	require.ErrorAs(t, err, &invalidID)
	assert.Equal(t, "AWS.SimpleQueueService.InvalidBatchEntryId", invalidID.ErrorCode())
	bad[0].Id = aws.String(strings.Repeat("i", 81))
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: bad})
	require.ErrorAs(t, err, &invalidID)
	_, err = raw.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q,
		Entries: sendEntries(2, func(int) string { return strings.Repeat("b", 600<<10) })})
	var tooLong *sqstypes.BatchRequestTooLong
	require.ErrorAs(t, err, &tooLong, "two 600 KiB bodies pass 1 MiB")
	assert.Equal(t, "AWS.SimpleQueueService.BatchRequestTooLong", tooLong.ErrorCode())
	_, err = raw.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: []sqstypes.DeleteMessageBatchRequestEntry{}})
	require.ErrorAs(t, err, &empty)
	_, err = raw.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q,
		Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: aws.String("h")}, {Id: aws.String("a"), ReceiptHandle: aws.String("h")}}})
	require.ErrorAs(t, err, &notDistinct)
	_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(srv.URL + "/" + srv.ManagementAccountID() + "/absent"),
		Entries: sendEntries(1, func(int) string { return "x" })})
	var missing *sqstypes.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)

	// Nothing of a refused batch was sent.
	counts, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	require.NoError(t, err)
	assert.Equal(t, "0", counts.Attributes["ApproximateNumberOfMessages"])
}

func TestSQS_BatchesOverQuery(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	q := newQueue(t, sqsClient(srv, admin), "legacy-batch", nil)
	path := sqsPathOf(t, *q)

	body, err := sqsQuery(t, srv, admin, path, url.Values{"Action": {"SendMessageBatch"},
		"SendMessageBatchRequestEntry.1.Id": {"a"}, "SendMessageBatchRequestEntry.1.MessageBody": {"alpha"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name":              {"timestamp"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": {"1493147359900"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType":    {"Number"},
		"SendMessageBatchRequestEntry.2.Id":                                   {"b"}, "SendMessageBatchRequestEntry.2.MessageBody": {"beta"},
		"SendMessageBatchRequestEntry.2.DelaySeconds": {"901"},
		"SendMessageBatchRequestEntry.3.Id":           {"c"}, "SendMessageBatchRequestEntry.3.MessageBody": {"gamma"}})
	require.NoError(t, err)
	var sent struct {
		SendMessageBatchResultEntry []struct{ Id, MessageId, MD5OfMessageBody, MD5OfMessageAttributes string }
		BatchResultErrorEntry       []struct {
			Id, Code, Message string
			SenderFault       bool
		}
	}
	sqsQueryResult(t, body, "SendMessageBatch", &sent)
	require.Len(t, sent.SendMessageBatchResultEntry, 2)
	assert.Equal(t, "a", sent.SendMessageBatchResultEntry[0].Id)
	assert.Equal(t, sqsMD5Of("alpha"), sent.SendMessageBatchResultEntry[0].MD5OfMessageBody)
	assert.Equal(t, "235c5c510d26fb653d073faed50ae77c", sent.SendMessageBatchResultEntry[0].MD5OfMessageAttributes)
	assert.Equal(t, "c", sent.SendMessageBatchResultEntry[1].Id)
	require.Len(t, sent.BatchResultErrorEntry, 1)
	assert.Equal(t, "b", sent.BatchResultErrorEntry[0].Id)
	assert.Equal(t, "InvalidParameterValue", sent.BatchResultErrorEntry[0].Code)
	assert.True(t, sent.BatchResultErrorEntry[0].SenderFault)

	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"10"}})
	require.NoError(t, err)
	var received struct {
		Message []struct{ Body, ReceiptHandle string }
	}
	sqsQueryResult(t, body, "ReceiveMessage", &received)
	require.Len(t, received.Message, 2)

	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"ChangeMessageVisibilityBatch"},
		"ChangeMessageVisibilityBatchRequestEntry.1.Id": {"one"}, "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": {received.Message[0].ReceiptHandle},
		"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": {"0"},
		"ChangeMessageVisibilityBatchRequestEntry.2.Id":                {"two"}, "ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle": {received.Message[1].ReceiptHandle},
		"ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout": {"43201"}})
	require.NoError(t, err)
	var changed struct {
		ChangeMessageVisibilityBatchResultEntry []struct{ Id string }
		BatchResultErrorEntry                   []struct{ Id, Code string }
	}
	sqsQueryResult(t, body, "ChangeMessageVisibilityBatch", &changed)
	require.Len(t, changed.ChangeMessageVisibilityBatchResultEntry, 1)
	assert.Equal(t, "one", changed.ChangeMessageVisibilityBatchResultEntry[0].Id)
	require.Len(t, changed.BatchResultErrorEntry, 1)
	assert.Equal(t, "InvalidParameterValue", changed.BatchResultErrorEntry[0].Code)

	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"DeleteMessageBatch"},
		"DeleteMessageBatchRequestEntry.1.Id": {"one"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {received.Message[1].ReceiptHandle}})
	require.NoError(t, err)
	var deleted struct{ DeleteMessageBatchResultEntry []struct{ Id string } }
	sqsQueryResult(t, body, "DeleteMessageBatch", &deleted)
	require.Len(t, deleted.DeleteMessageBatchResultEntry, 1)
	assert.Equal(t, "one", deleted.DeleteMessageBatchResultEntry[0].Id)

	// The batch rules, with their legacy codes.
	for name, form := range map[string]url.Values{
		"AWS.SimpleQueueService.EmptyBatchRequest": {"Action": {"SendMessageBatch"}},
		"AWS.SimpleQueueService.TooManyEntriesInBatchRequest": func() url.Values {
			v := url.Values{"Action": {"DeleteMessageBatch"}}
			for i := 1; i <= 11; i++ {
				v.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.Id", i), fmt.Sprint("e", i))
				v.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.ReceiptHandle", i), "h")
			}
			return v
		}(),
		"AWS.SimpleQueueService.BatchEntryIdsNotDistinct": {"Action": {"DeleteMessageBatch"},
			"DeleteMessageBatchRequestEntry.1.Id": {"e"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {"h"},
			"DeleteMessageBatchRequestEntry.2.Id": {"e"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {"h"}},
		"AWS.SimpleQueueService.InvalidBatchEntryId": {"Action": {"ChangeMessageVisibilityBatch"},
			"ChangeMessageVisibilityBatchRequestEntry.1.Id": {"a.b"}, "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": {"h"}},
		"AWS.SimpleQueueService.BatchRequestTooLong": {"Action": {"SendMessageBatch"},
			"SendMessageBatchRequestEntry.1.Id": {"a"}, "SendMessageBatchRequestEntry.1.MessageBody": {strings.Repeat("x", 700<<10)},
			"SendMessageBatchRequestEntry.2.Id": {"b"}, "SendMessageBatchRequestEntry.2.MessageBody": {strings.Repeat("y", 700<<10)}},
	} {
		_, err := sqsQuery(t, srv, admin, path, form)
		var qe *sqsQueryError
		require.ErrorAs(t, err, &qe, name)
		assert.Equal(t, name, qe.Code)
		assert.Equal(t, http.StatusBadRequest, qe.Status, name)
	}
}
