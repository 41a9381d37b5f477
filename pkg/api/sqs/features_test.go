package sqs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

func queueCounts(t *testing.T, client *sqs.Client, q *string) [3]string {
	t.Helper()
	a, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: q,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}})
	require.NoError(t, err)
	return [3]string{a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesNotVisible"], a.Attributes["ApproximateNumberOfMessagesDelayed"]}
}

func receiveOne(t *testing.T, client *sqs.Client, q *string) sqstypes.Message {
	t.Helper()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: q,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	return out.Messages[0]
}

func TestSQS_ChangeMessageVisibility(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "vis", nil)
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("job")})
	require.NoError(t, err)

	m := receiveOne(t, client, q)
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	again := receiveOne(t, client, q)
	assert.Equal(t, "2", again.Attributes["ApproximateReceiveCount"], "visible again at once")

	// The stale handle of the first receive changes nothing.
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 5})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))

	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 600})
	require.NoError(t, err)
	srv.Clock.Advance(300 * time.Second)
	assert.Equal(t, [3]string{"0", "1", "0"}, queueCounts(t, client, q), "still hidden after the default 30 s")
	// 12 hours at most since the receive.
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 43200})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 43201})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	srv.Clock.Advance(301 * time.Second)
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 10})
	var notInFlight *sqstypes.MessageNotInflight
	require.ErrorAs(t, err, &notInFlight, "its visibility timeout is over")
	assert.Equal(t, "AWS.SimpleQueueService.MessageNotInflight", notInFlight.ErrorCode())
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 10})
	var invalid *sqstypes.ReceiptHandleIsInvalid
	require.ErrorAs(t, err, &invalid)

	// Over query.
	path := sqsPathOf(t, *q)
	body, err := sqsQuery(t, srv, srv.AdminCredentials(), path, url.Values{"Action": {"ReceiveMessage"}})
	require.NoError(t, err)
	var received struct {
		Message []struct{ ReceiptHandle string }
	}
	sqsQueryResult(t, body, "ReceiveMessage", &received)
	require.Len(t, received.Message, 1)
	body, err = sqsQuery(t, srv, srv.AdminCredentials(), path, url.Values{"Action": {"ChangeMessageVisibility"},
		"ReceiptHandle": {received.Message[0].ReceiptHandle}, "VisibilityTimeout": {"0"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "ChangeMessageVisibility", nil)
	_, err = sqsQuery(t, srv, srv.AdminCredentials(), path, url.Values{"Action": {"ChangeMessageVisibility"},
		"ReceiptHandle": {received.Message[0].ReceiptHandle}, "VisibilityTimeout": {"10"}})
	assert.Equal(t, "AWS.SimpleQueueService.MessageNotInflight", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, srv.AdminCredentials(), path, url.Values{"Action": {"ChangeMessageVisibility"}, "ReceiptHandle": {"x"}})
	assert.Equal(t, "MissingParameter", testkit.ErrorCode(err))
}

func TestSQS_DelaySeconds(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "slow", map[string]string{"DelaySeconds": "30"})
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("queue delay")})
	require.NoError(t, err)
	// The SDK leaves a zero DelaySeconds out; over query, 0 overrides the queue's delay.
	_, err = sqsQuery(t, srv, srv.AdminCredentials(), sqsPathOf(t, *q), url.Values{"Action": {"SendMessage"}, "MessageBody": {"no delay"}, "DelaySeconds": {"0"}})
	require.NoError(t, err)
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("long delay"), DelaySeconds: 120})
	require.NoError(t, err)
	assert.Equal(t, [3]string{"1", "0", "2"}, queueCounts(t, client, q))
	take := func() string {
		m := receiveOne(t, client, q)
		_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle})
		require.NoError(t, err)
		return aws.ToString(m.Body)
	}
	assert.Equal(t, "no delay", take())
	srv.Clock.Advance(31 * time.Second)
	assert.Equal(t, "queue delay", take())
	srv.Clock.Advance(90 * time.Second)
	assert.Equal(t, "long delay", take())
}

func TestSQS_PurgeQueue(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "purge-me", nil)
	for _, b := range []string{"a", "b", "c"} {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(b)})
		require.NoError(t, err)
	}
	receiveOne(t, client, q)
	_, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Equal(t, [3]string{"0", "0", "0"}, queueCounts(t, client, q))
	_, err = client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})
	var inProgress *sqstypes.PurgeQueueInProgress
	require.ErrorAs(t, err, &inProgress)
	assert.Equal(t, "AWS.SimpleQueueService.PurgeQueueInProgress", inProgress.ErrorCode())
	_, err = sqsQuery(t, srv, srv.AdminCredentials(), sqsPathOf(t, *q), url.Values{"Action": {"PurgeQueue"}})
	var qe *sqsQueryError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "AWS.SimpleQueueService.PurgeQueueInProgress", qe.Code)
	assert.Equal(t, http.StatusForbidden, qe.Status)

	// Messages sent after a purge stay; 60 s later the queue may be purged again.
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("after")})
	require.NoError(t, err)
	assert.Equal(t, "after", aws.ToString(receiveOne(t, client, q).Body))
	srv.Clock.Advance(61 * time.Second)
	body, err := sqsQuery(t, srv, srv.AdminCredentials(), sqsPathOf(t, *q), url.Values{"Action": {"PurgeQueue"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "PurgeQueue", nil)
	assert.Equal(t, [3]string{"0", "0", "0"}, queueCounts(t, client, q))
	_, err = client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(srv.URL + "/" + srv.ManagementAccountID() + "/absent")})
	var missing *sqstypes.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)
}

func TestSQS_QueueTags(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	client := sqsClient(srv, admin)
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"team": "a"}})
	require.NoError(t, err)
	q := out.QueueUrl
	_, err = client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"env": "dev", "team": "b"}})
	require.NoError(t, err)
	tags, err := client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"env": "dev", "team": "b"}, tags.Tags)
	_, err = client.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q, TagKeys: []string{"team", "absent"}})
	require.NoError(t, err)
	tags, err = client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"env": "dev"}, tags.Tags)

	// Over query.
	path := sqsPathOf(t, *q)
	body, err := sqsQuery(t, srv, admin, path, url.Values{"Action": {"TagQueue"}, "Tag.1.Key": {"cost"}, "Tag.1.Value": {"42"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "TagQueue", nil)
	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"ListQueueTags"}})
	require.NoError(t, err)
	var listed struct{ Tag []struct{ Key, Value string } }
	sqsQueryResult(t, body, "ListQueueTags", &listed)
	assert.Equal(t, []struct{ Key, Value string }{{"cost", "42"}, {"env", "dev"}}, listed.Tag)
	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"UntagQueue"}, "TagKey.1": {"cost"}, "TagKey.2": {"env"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "UntagQueue", nil)
	tags, err = client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Empty(t, tags.Tags)

	// Limits.
	many := map[string]string{}
	for i := range 51 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	_, err = client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: many})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"aws:owner": "x"}})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"k": strings.Repeat("v", 257)}})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"TagQueue"}})
	assert.Equal(t, "MissingParameter", testkit.ErrorCode(err))
	_, err = client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(srv.URL + "/" + srv.ManagementAccountID() + "/absent")})
	var missing *sqstypes.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)
}

// --- long polls ---

// receiveAsync starts a ReceiveMessage and delivers its outcome.
func receiveAsync(ctx context.Context, client *sqs.Client, in *sqs.ReceiveMessageInput) <-chan receiveOutcome {
	done := make(chan receiveOutcome, 1)
	go func() {
		out, err := client.ReceiveMessage(ctx, in)
		done <- receiveOutcome{out, err}
	}()
	return done
}

type receiveOutcome struct {
	out *sqs.ReceiveMessageOutput
	err error
}

func TestSQS_LongPoll(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "poll", nil)
	// A guard, not a timing assertion: a poll that did not wake would
	// end at 20 s, after this.
	guard, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()

	t.Run("a message that arrives ends the wait", func(t *testing.T) {
		done := receiveAsync(guard, client, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 20})
		time.Sleep(50 * time.Millisecond) // let the poll start waiting (either order passes)
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("arrived")})
		require.NoError(t, err)
		r := <-done
		require.NoError(t, r.err)
		require.Len(t, r.out.Messages, 1)
		assert.Equal(t, "arrived", aws.ToString(r.out.Messages[0].Body))
		_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: r.out.Messages[0].ReceiptHandle})
		require.NoError(t, err)
	})

	t.Run("the queue's ReceiveMessageWaitTimeSeconds applies; a batch wakes it", func(t *testing.T) {
		_, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"ReceiveMessageWaitTimeSeconds": "20"}})
		require.NoError(t, err)
		done := receiveAsync(guard, client, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10})
		time.Sleep(50 * time.Millisecond)
		_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: sendEntries(2, func(int) string { return "batched" })})
		require.NoError(t, err)
		r := <-done
		require.NoError(t, r.err)
		require.NotEmpty(t, r.out.Messages)
		_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"ReceiveMessageWaitTimeSeconds": "0"}})
		require.NoError(t, err)
		_, err = client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})
		require.NoError(t, err)
	})

	t.Run("the wait ends in emulated time", func(t *testing.T) {
		done := receiveAsync(guard, client, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 20})
		for {
			select {
			case r := <-done:
				require.NoError(t, r.err)
				assert.Empty(t, r.out.Messages)
				return
			case <-time.After(50 * time.Millisecond):
				srv.Clock.Advance(21 * time.Second)
			}
		}
	})

	t.Run("a delayed message that becomes visible ends the wait", func(t *testing.T) {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("soon"), DelaySeconds: 1})
		require.NoError(t, err)
		r := <-receiveAsync(guard, client, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 20})
		require.NoError(t, r.err)
		require.Len(t, r.out.Messages, 1)
		assert.Equal(t, "soon", aws.ToString(r.out.Messages[0].Body))
	})
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSQS_LongPollEnds(t *testing.T) {
	logs := &syncBuffer{}
	srv := apitest.New(t, apitest.WithServerOptions(api.WithLogger(slog.New(slog.NewTextHandler(logs, nil)))))
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	q := newQueue(t, client, "abandoned", nil)

	// The client goes away: the poll ends (its request is logged) and takes
	// nothing sent later.
	pollCtx, cancel := context.WithCancel(ctx)
	done := receiveAsync(pollCtx, client, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 20})
	time.Sleep(50 * time.Millisecond)
	cancel()
	r := <-done
	require.True(t, errors.Is(r.err, context.Canceled), "%v", r.err)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "action=ReceiveMessage") },
		10*time.Second, 20*time.Millisecond, "the abandoned poll answered")
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("later")})
	require.NoError(t, err)
	assert.Equal(t, "1", receiveOne(t, client, q).Attributes["ApproximateReceiveCount"])

	// The server shuts down: a waiting poll answers with no messages.
	guard, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	other := newQueue(t, client, "empty", nil)
	done = receiveAsync(guard, client, &sqs.ReceiveMessageInput{QueueUrl: other, WaitTimeSeconds: 20})
	time.Sleep(50 * time.Millisecond)
	srv.API.BeginShutdown()
	r = <-done
	require.NoError(t, r.err)
	assert.Empty(t, r.out.Messages)
}
