package sqs_test

import (
	"context"
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

func queueARNOf(t *testing.T, client *sqs.Client, q *string) string {
	t.Helper()
	a, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	require.NoError(t, err)
	return a.Attributes["QueueArn"]
}

func TestSQS_Redrive(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	client := sqsClient(srv, admin)
	dlq := newQueue(t, client, "dead", nil)
	dlqARN := queueARNOf(t, client, dlq)
	policy := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"2"}`
	src := newQueue(t, client, "work", map[string]string{"RedrivePolicy": policy})

	a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src, AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"deadLetterTargetArn":"`+dlqARN+`","maxReceiveCount":2}`, a.Attributes["RedrivePolicy"])
	sources, err := client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq})
	require.NoError(t, err)
	assert.Equal(t, []string{aws.ToString(src)}, sources.QueueUrls)

	sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src, MessageBody: aws.String("poison"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	require.NoError(t, err)
	for i := range 2 {
		m := receiveOne(t, client, src)
		assert.Equal(t, []string{"1", "2"}[i], m.Attributes["ApproximateReceiveCount"])
		srv.Clock.Advance(31 * time.Second)
	}
	none, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src})
	require.NoError(t, err)
	assert.Empty(t, none.Messages, "received twice: moved to the dead-letter queue")
	dead, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
	require.NoError(t, err)
	require.Len(t, dead.Messages, 1)
	assert.Equal(t, aws.ToString(sent.MessageId), aws.ToString(dead.Messages[0].MessageId))
	assert.Equal(t, "poison", aws.ToString(dead.Messages[0].Body))
	assert.Equal(t, "1", dead.Messages[0].Attributes["ApproximateReceiveCount"])
	assert.Equal(t, "v", aws.ToString(dead.Messages[0].MessageAttributes["k"].StringValue))
	assert.Equal(t, aws.ToString(sent.MD5OfMessageAttributes), aws.ToString(dead.Messages[0].MD5OfMessageAttributes))

	// Over query.
	body, err := sqsQuery(t, srv, admin, "/", url.Values{"Action": {"ListDeadLetterSourceQueues"}, "QueueUrl": {aws.ToString(dlq)}})
	require.NoError(t, err)
	var listed struct{ QueueUrl []string }
	sqsQueryResult(t, body, "ListDeadLetterSourceQueues", &listed)
	assert.Equal(t, []string{aws.ToString(src)}, listed.QueueUrl)

	// Invalid policies change nothing.
	for name, value := range map[string]string{
		"no such target":      `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:` + srv.ManagementAccountID() + `:absent","maxReceiveCount":1}`,
		"count out of range":  `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":0}`,
		"no count":            `{"deadLetterTargetArn":"` + dlqARN + `"}`,
		"not json":            `deadLetterTargetArn`,
		"not an ARN":          `{"deadLetterTargetArn":"dead","maxReceiveCount":1}`,
		"itself":              `{"deadLetterTargetArn":"` + queueARNOf(t, client, src) + `","maxReceiveCount":1}`,
		"other account":       `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:999999999999:dead","maxReceiveCount":1}`,
		"an unknown property": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":1,"x":1}`,
	} {
		_, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: src, Attributes: map[string]string{"RedrivePolicy": value}})
		assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err), name)
	}
	fifo := newQueue(t, client, "jobs.fifo", map[string]string{"FifoQueue": "true"})
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: fifo, Attributes: map[string]string{"RedrivePolicy": policy}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err), "a FIFO queue's dead-letter queue is FIFO")

	// The dead-letter queue's RedriveAllowPolicy decides who may name it.
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: dlq, Attributes: map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`}})
	require.NoError(t, err)
	other := newQueue(t, client, "other", nil)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: other, Attributes: map[string]string{"RedrivePolicy": policy}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err))
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: dlq, Attributes: map[string]string{
		"RedriveAllowPolicy": `{"redrivePermission":"byQueue","sourceQueueArns":["` + queueARNOf(t, client, other) + `"]}`}})
	require.NoError(t, err)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: other, Attributes: map[string]string{"RedrivePolicy": policy}})
	require.NoError(t, err)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: dlq, Attributes: map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue"}`}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err))

	// Pages, removal and deletion keep the list true.
	page, err := client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq, MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, []string{aws.ToString(other)}, page.QueueUrls)
	require.NotNil(t, page.NextToken)
	page, err = client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq, MaxResults: aws.Int32(1), NextToken: page.NextToken})
	require.NoError(t, err)
	assert.Equal(t, []string{aws.ToString(src)}, page.QueueUrls)
	assert.Nil(t, page.NextToken)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: src, Attributes: map[string]string{"RedrivePolicy": ""}})
	require.NoError(t, err)
	_, err = client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: other})
	require.NoError(t, err)
	sources, err = client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq})
	require.NoError(t, err)
	assert.Empty(t, sources.QueueUrls)
	_, err = client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: other})
	var missing *sqstypes.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)
}
