package sqs_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// --- helpers ---

func sqsClient(srv *apitest.Server, creds aws.Credentials) *sqs.Client {
	return sqs.NewFromConfig(srv.Config(creds))
}

func sqsDenyAllPolicy(queueARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + queueARN + `"}]}`
}

// sqsQueryError is an SQS query-protocol error, usable as a smithy.APIError.
type sqsQueryError struct {
	Status    int
	Type      string
	Code      string
	Message   string
	RequestID string
}

func (e *sqsQueryError) Error() string                 { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }
func (e *sqsQueryError) ErrorCode() string             { return e.Code }
func (e *sqsQueryError) ErrorMessage() string          { return e.Message }
func (e *sqsQueryError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// sqsQuery posts a signed query-protocol request (form body) to path and
// returns the XML body of a success, or a *sqsQueryError.
func sqsQuery(t testing.TB, srv *apitest.Server, creds aws.Credentials, path string, form url.Values) ([]byte, error) {
	t.Helper()
	form.Set("Version", "2012-11-05")
	r := testkit.PostSigned(t, srv, creds, "sqs", path, "application/x-www-form-urlencoded", "", form.Encode())
	if r.Status == http.StatusOK {
		return []byte(r.Body), nil
	}
	var envelope struct {
		XMLName xml.Name `xml:"http://queue.amazonaws.com/doc/2012-11-05/ ErrorResponse"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestID string `xml:"RequestId"`
	}
	require.NoError(t, xml.Unmarshal([]byte(r.Body), &envelope), "error body: %s", r.Body)
	return nil, &sqsQueryError{Status: r.Status, Type: envelope.Error.Type, Code: envelope.Error.Code,
		Message: envelope.Error.Message, RequestID: envelope.RequestID}
}

// sqsQueryResult decodes <OpResponse><OpResult>…</OpResult></OpResponse>.
func sqsQueryResult(t testing.TB, body []byte, op string, result any) {
	t.Helper()
	var envelope struct {
		XMLName  xml.Name
		Result   sqsInnerXML `xml:",any"`
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	require.NoError(t, xml.Unmarshal(body, &envelope), "body: %s", body)
	require.Equal(t, op+"Response", envelope.XMLName.Local)
	require.Equal(t, "http://queue.amazonaws.com/doc/2012-11-05/", envelope.XMLName.Space)
	require.NotEmpty(t, envelope.Metadata.RequestID)
	if result != nil {
		require.Equal(t, op+"Result", envelope.Result.XMLName.Local, "body: %s", body)
		require.NoError(t, xml.Unmarshal(envelope.Result.Raw(), result))
	}
}

// sqsInnerXML captures one child element whole.
type sqsInnerXML struct {
	XMLName xml.Name
	Inner   []byte `xml:",innerxml"`
}

func (x sqsInnerXML) Raw() []byte {
	return []byte("<" + x.XMLName.Local + ">" + string(x.Inner) + "</" + x.XMLName.Local + ">")
}

type sqsXMLAttribute struct {
	Name  string
	Value string
}

func sqsAttributeMap(attrs []sqsXMLAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[a.Name] = a.Value
	}
	return m
}

func sqsMD5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// --- JSON protocol ---

func TestSQS_QueueLifecycle(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	acct := srv.ManagementAccountID()

	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"),
		Attributes: map[string]string{"VisibilityTimeout": "60"}, Tags: map[string]string{"team": "a"}})
	require.NoError(t, err)
	queueURL := aws.ToString(out.QueueUrl)
	assert.Equal(t, srv.URL+"/"+acct+"/orders", queueURL)

	// Same name, same attributes: the same queue. Different: an error.
	again, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"),
		Attributes: map[string]string{"VisibilityTimeout": "60"}})
	require.NoError(t, err)
	assert.Equal(t, queueURL, aws.ToString(again.QueueUrl))
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	var exists *sqstypes.QueueNameExists
	require.ErrorAs(t, err, &exists)
	assert.Equal(t, "QueueAlreadyExists", exists.ErrorCode())
	assert.Contains(t, exists.ErrorMessage(), "VisibilityTimeout")

	got, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	require.NoError(t, err)
	assert.Equal(t, queueURL, aws.ToString(got.QueueUrl))
	got, err = client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders"), QueueOwnerAWSAccountId: aws.String(acct)})
	require.NoError(t, err)
	assert.Equal(t, queueURL, aws.ToString(got.QueueUrl))
	_, err = client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var missing *sqstypes.QueueDoesNotExist
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", missing.ErrorCode())

	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	require.NoError(t, err)
	a := attrs.Attributes
	assert.Equal(t, "arn:aws:sqs:us-east-1:"+acct+":orders", a["QueueArn"])
	assert.Equal(t, "60", a["VisibilityTimeout"])
	assert.Equal(t, "1048576", a["MaximumMessageSize"])
	assert.Equal(t, "345600", a["MessageRetentionPeriod"])
	assert.Equal(t, "0", a["DelaySeconds"])
	assert.Equal(t, "0", a["ReceiveMessageWaitTimeSeconds"])
	assert.Equal(t, "0", a["ApproximateNumberOfMessages"])
	assert.NotContains(t, a, "Policy")
	created, err := strconv.ParseInt(a["CreatedTimestamp"], 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, srv.Clock.Now().Unix(), created, 5)

	// A policy is validated, set, read back and removed with "".
	arn := a["QueueArn"]
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err), "a queue policy needs a Principal")
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"Policy": allow, "DelaySeconds": "5"}})
	require.NoError(t, err)
	attrs, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{"Policy", "DelaySeconds"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Policy": allow, "DelaySeconds": "5"}, attrs.Attributes)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"Policy": ""}})
	require.NoError(t, err)
	attrs, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{"Policy"}})
	require.NoError(t, err)
	assert.Empty(t, attrs.Attributes)

	// Attribute errors.
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"VisibilityTimeout": "43201"}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err))
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"QueueArn": "x"}})
	assert.Equal(t, "InvalidAttributeName", testkit.ErrorCode(err))
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{"Bogus"}})
	assert.Equal(t, "InvalidAttributeName", testkit.ErrorCode(err))
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs.fifo")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err), "a .fifo name needs FifoQueue true")
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"FifoQueue": "true"}})
	assert.Equal(t, "InvalidAttributeValue", testkit.ErrorCode(err), "FifoQueue true needs a .fifo name")
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sqs"}})
	assert.Equal(t, "AWS.SimpleQueueService.UnsupportedOperation", testkit.ErrorCode(err))

	// ListQueues: prefix, pagination.
	for _, name := range []string{"orders-eu", "orders-us", "billing"} {
		_, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		require.NoError(t, err)
	}
	list, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
	assert.Len(t, list.QueueUrls, 4)
	assert.Nil(t, list.NextToken)
	list, err = client.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders"), MaxResults: aws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, []string{queueURL, queueURL + "-eu"}, list.QueueUrls)
	require.NotNil(t, list.NextToken)
	list, err = client.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders"), MaxResults: aws.Int32(2), NextToken: list.NextToken})
	require.NoError(t, err)
	assert.Equal(t, []string{queueURL + "-us"}, list.QueueUrls)
	assert.Nil(t, list.NextToken)
	_, err = client.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(2), NextToken: aws.String("garbage")})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))

	// Queues are regional.
	west := srv.Config(srv.AdminCredentials())
	west.Region = "us-west-2"
	list, err = sqs.NewFromConfig(west).ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
	assert.Empty(t, list.QueueUrls)

	// DeleteQueue; the name is held for 60 seconds.
	_, err = client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &queueURL})
	require.NoError(t, err)
	_, err = client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &queueURL})
	require.ErrorAs(t, err, &missing)
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL})
	require.ErrorAs(t, err, &missing)
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	var recently *sqstypes.QueueDeletedRecently
	require.ErrorAs(t, err, &recently)
	srv.Clock.Advance(61 * time.Second)
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	require.NoError(t, err)

	// Any host reaches the queue: it is named by the URL's path.
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/" + acct + "/billing")})
	require.NoError(t, err)
	_, err = client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("http://example.com/not-a-queue")})
	assert.Equal(t, "InvalidAddress", testkit.ErrorCode(err))
}

func TestSQS_Messages(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	client := sqsClient(srv, srv.AdminCredentials())
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work")})
	require.NoError(t, err)
	q := out.QueueUrl

	sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("job-1")})
	require.NoError(t, err)
	assert.Equal(t, sqsMD5Of("job-1"), aws.ToString(sent.MD5OfMessageBody))
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, aws.ToString(sent.MessageId))
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("job-2"), DelaySeconds: 10})
	require.NoError(t, err)

	attrs := func() map[string]string {
		t.Helper()
		a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q,
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}})
		require.NoError(t, err)
		return a.Attributes
	}
	assert.Equal(t, map[string]string{"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed": "1"}, attrs())

	recv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	require.NoError(t, err)
	require.Len(t, recv.Messages, 1, "the delayed message is not visible yet")
	m := recv.Messages[0]
	assert.Equal(t, "job-1", aws.ToString(m.Body))
	assert.Equal(t, aws.ToString(sent.MessageId), aws.ToString(m.MessageId))
	assert.Equal(t, sqsMD5Of("job-1"), aws.ToString(m.MD5OfBody))
	assert.Equal(t, "1", m.Attributes["ApproximateReceiveCount"])
	assert.Equal(t, "AIDA", m.Attributes["SenderId"][:4])
	assert.Contains(t, m.Attributes, "SentTimestamp")
	assert.Equal(t, map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1",
		"ApproximateNumberOfMessagesDelayed": "1"}, attrs())

	// In flight: invisible until the visibility timeout (30 s) passes in emulated time.
	recv, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Empty(t, recv.Messages)
	srv.Clock.Advance(31 * time.Second)
	recv, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, VisibilityTimeout: 100,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateReceiveCount"}})
	require.NoError(t, err)
	require.Len(t, recv.Messages, 2)
	again := recv.Messages[0]
	assert.Equal(t, "job-1", aws.ToString(again.Body))
	assert.Equal(t, map[string]string{"ApproximateReceiveCount": "2"}, again.Attributes)
	assert.Equal(t, "job-2", aws.ToString(recv.Messages[1].Body))

	// The first receive's handle is stale: accepted, nothing deleted.
	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle})
	require.NoError(t, err)
	assert.Equal(t, "2", attrs()["ApproximateNumberOfMessagesNotVisible"])
	for _, msg := range recv.Messages {
		_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: msg.ReceiptHandle})
		require.NoError(t, err)
	}
	// Deleting twice is fine.
	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: again.ReceiptHandle})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed": "0"}, attrs())

	_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: aws.String("not-a-handle")})
	var invalid *sqstypes.ReceiptHandleIsInvalid
	require.ErrorAs(t, err, &invalid)

	// Retention: an old message is gone.
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"MessageRetentionPeriod": "60"}})
	require.NoError(t, err)
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("old")})
	require.NoError(t, err)
	srv.Clock.Advance(61 * time.Second)
	recv, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q})
	require.NoError(t, err)
	assert.Empty(t, recv.Messages)

	// Parameter errors.
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 11})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, WaitTimeSeconds: 21})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"), DelaySeconds: 901})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("bell \x07")})
	var contents *sqstypes.InvalidMessageContents
	assert.ErrorAs(t, err, &contents)
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"MaximumMessageSize": "1024"}})
	require.NoError(t, err)
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(strings.Repeat("x", 1025))})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
}

// TestSQS_MessageAttributes: message attributes round-trip with SQS's MD5
// digest over both protocols (digests as published for AWS examples).
func TestSQS_MessageAttributes(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	admin := srv.AdminCredentials()
	client := sqsClient(srv, admin)
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("attrs")})
	require.NoError(t, err)
	q := out.QueueUrl

	sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("order"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"SellerName": {DataType: aws.String("String"), StringValue: aws.String("Example Store")}}})
	require.NoError(t, err)
	assert.Equal(t, "cd28f3b68aeee4b2eac9c66f2f694b58", aws.ToString(sent.MD5OfMessageAttributes))

	body, err := sqsQuery(t, srv, admin, sqsPathOf(t, *q), url.Values{"Action": {"SendMessage"}, "MessageBody": {"tick"},
		"MessageAttribute.1.Name": {"timestamp"}, "MessageAttribute.1.Value.StringValue": {"1493147359900"},
		"MessageAttribute.1.Value.DataType": {"Number"},
		"MessageAttribute.2.Name":           {"blob.raw"}, "MessageAttribute.2.Value.BinaryValue": {"AAEC"},
		"MessageAttribute.2.Value.DataType": {"Binary.bytes"}})
	require.NoError(t, err)
	var qsent struct{ MD5OfMessageAttributes string }
	sqsQueryResult(t, body, "SendMessage", &qsent)
	assert.Len(t, qsent.MD5OfMessageAttributes, 32)

	recv, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	require.NoError(t, err)
	require.Len(t, recv.Messages, 2)
	assert.Equal(t, "cd28f3b68aeee4b2eac9c66f2f694b58", aws.ToString(recv.Messages[0].MD5OfMessageAttributes))
	assert.Equal(t, "Example Store", aws.ToString(recv.Messages[0].MessageAttributes["SellerName"].StringValue))
	tick := recv.Messages[1]
	assert.Equal(t, qsent.MD5OfMessageAttributes, aws.ToString(tick.MD5OfMessageAttributes))
	assert.Equal(t, []byte{0, 1, 2}, tick.MessageAttributes["blob.raw"].BinaryValue)
	assert.Equal(t, "Binary.bytes", aws.ToString(tick.MessageAttributes["blob.raw"].DataType))

	// Only the named attributes come back, with the digest of those alone.
	srv.Clock.Advance(31 * time.Second)
	body, err = sqsQuery(t, srv, admin, sqsPathOf(t, *q), url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"10"},
		"MessageAttributeName.1": {"timestamp"}})
	require.NoError(t, err)
	var received struct {
		Message []struct {
			Body                   string
			MD5OfMessageAttributes string
			MessageAttribute       []struct {
				Name  string
				Value struct{ StringValue, BinaryValue, DataType string }
			}
		}
	}
	sqsQueryResult(t, body, "ReceiveMessage", &received)
	require.Len(t, received.Message, 2)
	assert.Empty(t, received.Message[0].MessageAttribute)
	assert.Empty(t, received.Message[0].MD5OfMessageAttributes)
	m := received.Message[1]
	require.Len(t, m.MessageAttribute, 1)
	assert.Equal(t, "timestamp", m.MessageAttribute[0].Name)
	assert.Equal(t, "1493147359900", m.MessageAttribute[0].Value.StringValue)
	assert.Equal(t, "Number", m.MessageAttribute[0].Value.DataType)
	assert.Equal(t, "235c5c510d26fb653d073faed50ae77c", m.MD5OfMessageAttributes)
	assert.Contains(t, string(body), "<MessageAttribute><Name>timestamp</Name><Value><StringValue>1493147359900</StringValue><DataType>Number</DataType></Value></MessageAttribute>")

	for name, v := range map[string]sqstypes.MessageAttributeValue{
		"AWS.reserved": {DataType: aws.String("String"), StringValue: aws.String("x")},
		"bad-number":   {DataType: aws.String("Number"), StringValue: aws.String("ten")},
		"bad-type":     {DataType: aws.String("Text"), StringValue: aws.String("x")},
		"empty":        {DataType: aws.String("String"), StringValue: aws.String("")},
	} {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("x"),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{name: v}})
		assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err), name)
	}
	_, err = sqsQuery(t, srv, admin, sqsPathOf(t, *q), url.Values{"Action": {"SendMessage"}, "MessageBody": {"x"},
		"MessageAttribute.1.Name": {"no-type"}, "MessageAttribute.1.Value.StringValue": {"x"}})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
}

// TestSQS_JSONErrorEnvelope checks the raw JSON 1.0 error: namespaced
// __type and the legacy code in x-amzn-query-error.
func TestSQS_JSONErrorEnvelope(t *testing.T) {
	srv := apitest.New(t)
	r := testkit.PostSigned(t, srv, srv.AdminCredentials(), "sqs", "/", "application/x-amz-json-1.0", "AmazonSQS.GetQueueUrl", `{"QueueName":"absent"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue;Sender", r.Header.Get("x-amzn-query-error"))
	var body map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.Body), &body))
	assert.Equal(t, "com.amazonaws.sqs#QueueDoesNotExist", body["__type"])
	assert.Equal(t, "The specified queue does not exist.", body["message"])

	r = testkit.PostSigned(t, srv, srv.AdminCredentials(), "sqs", "/", "application/x-amz-json-1.0", "AmazonSQS.SendMessage", `{"MessageBody":"x"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.Body, `"com.amazonaws.sqs#MissingParameter"`)
}

// --- query protocol ---

func TestSQS_QueryProtocol(t *testing.T) {
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()

	body, err := sqsQuery(t, srv, admin, "/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"legacy"},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"45"}, "Tag.1.Key": {"env"}, "Tag.1.Value": {"dev"}})
	require.NoError(t, err)
	var created struct{ QueueUrl string }
	sqsQueryResult(t, body, "CreateQueue", &created)
	assert.Equal(t, srv.URL+"/"+acct+"/legacy", created.QueueUrl)
	path := "/" + acct + "/legacy"

	// Posted to the queue URL's path, without QueueUrl in the form.
	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"SendMessage"}, "MessageBody": {"via <query> & path"}})
	require.NoError(t, err)
	var sent struct{ MessageId, MD5OfMessageBody string }
	sqsQueryResult(t, body, "SendMessage", &sent)
	assert.Equal(t, sqsMD5Of("via <query> & path"), sent.MD5OfMessageBody)
	assert.NotEmpty(t, sent.MessageId)

	body, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"ListQueues"}, "QueueNamePrefix": {"leg"}})
	require.NoError(t, err)
	assert.Contains(t, string(body), "<ListQueuesResult><QueueUrl>"+created.QueueUrl+"</QueueUrl></ListQueuesResult>")
	var listed struct {
		QueueUrl []string
	}
	sqsQueryResult(t, body, "ListQueues", &listed)
	assert.Equal(t, []string{created.QueueUrl}, listed.QueueUrl)

	body, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {created.QueueUrl},
		"AttributeName.1": {"VisibilityTimeout"}, "AttributeName.2": {"ApproximateNumberOfMessages"}, "AttributeName.3": {"QueueArn"}})
	require.NoError(t, err)
	var attrs struct {
		Attribute []sqsXMLAttribute
	}
	sqsQueryResult(t, body, "GetQueueAttributes", &attrs)
	assert.Equal(t, map[string]string{"VisibilityTimeout": "45", "ApproximateNumberOfMessages": "1",
		"QueueArn": "arn:aws:sqs:us-east-1:" + acct + ":legacy"}, sqsAttributeMap(attrs.Attribute))
	assert.Contains(t, string(body), "<GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>1</Value></Attribute><Attribute>")

	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"5"},
		"AttributeName.1": {"SenderId"}, "MessageSystemAttributeName.1": {"ApproximateReceiveCount"}})
	require.NoError(t, err)
	var received struct {
		Message []struct {
			MessageId, ReceiptHandle, MD5OfBody, Body string
			Attribute                                 []sqsXMLAttribute
		}
	}
	sqsQueryResult(t, body, "ReceiveMessage", &received)
	require.Len(t, received.Message, 1)
	msg := received.Message[0]
	assert.Equal(t, "via <query> & path", msg.Body)
	assert.Equal(t, sent.MessageId, msg.MessageId)
	got := sqsAttributeMap(msg.Attribute)
	assert.Len(t, got, 2)
	assert.Equal(t, "1", got["ApproximateReceiveCount"])
	assert.Regexp(t, `^AIDA`, got["SenderId"])
	assert.Contains(t, string(body), "<ReceiveMessageResult><Message><MessageId>")

	body, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {created.QueueUrl}, "ReceiptHandle": {msg.ReceiptHandle}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "DeleteMessage", nil)
	assert.NotContains(t, string(body), "DeleteMessageResult")

	body, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"SetQueueAttributes"}, "QueueUrl": {created.QueueUrl},
		"Attribute.1.Name": {"DelaySeconds"}, "Attribute.1.Value": {"3"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "SetQueueAttributes", nil)

	body, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"legacy"}})
	require.NoError(t, err)
	var gotURL struct{ QueueUrl string }
	sqsQueryResult(t, body, "GetQueueUrl", &gotURL)
	assert.Equal(t, created.QueueUrl, gotURL.QueueUrl)

	// Error envelopes carry the legacy codes.
	_, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"absent"}})
	var qe *sqsQueryError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, http.StatusBadRequest, qe.Status)
	assert.Equal(t, "Sender", qe.Type)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", qe.Code)
	assert.NotEmpty(t, qe.RequestID)
	_, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"ReceiveMessage"}})
	assert.Equal(t, "MissingParameter", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"0"}})
	assert.Equal(t, "InvalidParameterValue", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"SetQueueAttributes"}, "Attribute.1.Name": {"Nope"}, "Attribute.1.Value": {"1"}})
	assert.Equal(t, "InvalidAttributeName", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, admin, "/", url.Values{"Action": {"CreateQueue"}, "QueueName": {"legacy"}})
	assert.Equal(t, "QueueAlreadyExists", testkit.ErrorCode(err))
	_, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"DeleteMessage"}, "ReceiptHandle": {"bogus"}})
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "ReceiptHandleIsInvalid", qe.Code)
	assert.Equal(t, http.StatusNotFound, qe.Status)

	body, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"DeleteQueue"}})
	require.NoError(t, err)
	sqsQueryResult(t, body, "DeleteQueue", nil)
	_, err = sqsQuery(t, srv, admin, path, url.Values{"Action": {"GetQueueAttributes"}})
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", testkit.ErrorCode(err))
}

// --- the locked-queue story, over both protocols ---

// sqsStoryClient is what the unlock story does with SQS, in one protocol.
type sqsStoryClient interface {
	CreateQueue(name string) (string, error)
	GetQueueURL(name string) (string, error)
	ListQueues() ([]string, error)
	SendMessage(queueURL, body string) error
	ReceiveBodies(queueURL string) ([]string, error)
	GetPolicy(queueURL string) (string, error)
	SetPolicy(queueURL, policy string) error
	DeleteQueue(queueURL string) error
}

type sqsJSONStory struct{ c *sqs.Client }

func (j sqsJSONStory) CreateQueue(name string) (string, error) {
	out, err := j.c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

func (j sqsJSONStory) GetQueueURL(name string) (string, error) {
	out, err := j.c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

func (j sqsJSONStory) ListQueues() ([]string, error) {
	out, err := j.c.ListQueues(context.Background(), &sqs.ListQueuesInput{})
	if err != nil {
		return nil, err
	}
	return out.QueueUrls, nil
}

func (j sqsJSONStory) SendMessage(queueURL, body string) error {
	_, err := j.c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body})
	return err
}

func (j sqsJSONStory) ReceiveBodies(queueURL string) ([]string, error) {
	out, err := j.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 10})
	if err != nil {
		return nil, err
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	return bodies, nil
}

func (j sqsJSONStory) GetPolicy(queueURL string) (string, error) {
	out, err := j.c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		return "", err
	}
	return out.Attributes["Policy"], nil
}

func (j sqsJSONStory) SetPolicy(queueURL, policy string) error {
	_, err := j.c.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{QueueUrl: &queueURL,
		Attributes: map[string]string{"Policy": policy}})
	return err
}

func (j sqsJSONStory) DeleteQueue(queueURL string) error {
	_, err := j.c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &queueURL})
	return err
}

// sqsQueryStory speaks the query protocol; message operations are
// posted to the queue URL's path, the others to / with QueueUrl.
type sqsQueryStory struct {
	t     *testing.T
	srv   *apitest.Server
	creds aws.Credentials
}

func (q sqsQueryStory) do(path string, form url.Values, op string, result any) error {
	body, err := sqsQuery(q.t, q.srv, q.creds, path, form)
	if err != nil {
		return err
	}
	sqsQueryResult(q.t, body, op, result)
	return nil
}

func sqsPathOf(t *testing.T, queueURL string) string {
	u, err := url.Parse(queueURL)
	require.NoError(t, err)
	return u.Path
}

func (q sqsQueryStory) CreateQueue(name string) (string, error) {
	var out struct{ QueueUrl string }
	err := q.do("/", url.Values{"Action": {"CreateQueue"}, "QueueName": {name}}, "CreateQueue", &out)
	return out.QueueUrl, err
}

func (q sqsQueryStory) GetQueueURL(name string) (string, error) {
	var out struct{ QueueUrl string }
	err := q.do("/", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {name}}, "GetQueueUrl", &out)
	return out.QueueUrl, err
}

func (q sqsQueryStory) ListQueues() ([]string, error) {
	var out struct{ QueueUrl []string }
	err := q.do("/", url.Values{"Action": {"ListQueues"}}, "ListQueues", &out)
	return out.QueueUrl, err
}

func (q sqsQueryStory) SendMessage(queueURL, body string) error {
	return q.do(sqsPathOf(q.t, queueURL), url.Values{"Action": {"SendMessage"}, "MessageBody": {body}}, "SendMessage", nil)
}

func (q sqsQueryStory) ReceiveBodies(queueURL string) ([]string, error) {
	var out struct{ Message []struct{ Body string } }
	err := q.do(sqsPathOf(q.t, queueURL), url.Values{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"10"}}, "ReceiveMessage", &out)
	var bodies []string
	for _, m := range out.Message {
		bodies = append(bodies, m.Body)
	}
	return bodies, err
}

func (q sqsQueryStory) GetPolicy(queueURL string) (string, error) {
	var out struct{ Attribute []sqsXMLAttribute }
	err := q.do("/", url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {queueURL}, "AttributeName.1": {"Policy"}}, "GetQueueAttributes", &out)
	return sqsAttributeMap(out.Attribute)["Policy"], err
}

func (q sqsQueryStory) SetPolicy(queueURL, policy string) error {
	return q.do("/", url.Values{"Action": {"SetQueueAttributes"}, "QueueUrl": {queueURL},
		"Attribute.1.Name": {"Policy"}, "Attribute.1.Value": {policy}}, "SetQueueAttributes", nil)
}

func (q sqsQueryStory) DeleteQueue(queueURL string) error {
	return q.do("/", url.Values{"Action": {"DeleteQueue"}, "QueueUrl": {queueURL}}, "DeleteQueue", nil)
}

// TestSQS_UnlockQueuePolicy is the centralized-root-access story: a
// member's queue policy locks everyone out; a root session with
// SQSUnlockQueuePolicy can read and remove the policy but do nothing else.
func TestSQS_UnlockQueuePolicy(t *testing.T) {
	protocols := map[string]func(t *testing.T, srv *apitest.Server, creds aws.Credentials) sqsStoryClient{
		"json": func(_ *testing.T, srv *apitest.Server, creds aws.Credentials) sqsStoryClient {
			return sqsJSONStory{sqsClient(srv, creds)}
		},
		"query": func(t *testing.T, srv *apitest.Server, creds aws.Credentials) sqsStoryClient {
			return sqsQueryStory{t: t, srv: srv, creds: creds}
		},
	}
	for name, newClient := range protocols {
		t.Run(name, func(t *testing.T) {
			srv := apitest.New(t)
			member := srv.MemberAccount(t, "m")
			role := newClient(t, srv, srv.AssumeAccessRole(t, member))

			queueURL, err := role.CreateQueue("locked")
			require.NoError(t, err)
			require.NoError(t, role.SendMessage(queueURL, "kept safe"))
			deny := sqsDenyAllPolicy("arn:aws:sqs:us-east-1:" + member + ":locked")
			require.NoError(t, role.SetPolicy(queueURL, deny))

			// The role, an administrator of the account, is locked out.
			_, err = role.ReceiveBodies(queueURL)
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(role.SendMessage(queueURL, "more")))
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(role.SetPolicy(queueURL, "")))
			_, err = role.GetPolicy(queueURL)
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))

			srv.EnableRootAccess(t)
			root := newClient(t, srv, srv.RootSession(t, member, policy.SQSUnlockQueuePolicy))
			got, err := root.GetQueueURL("locked")
			require.NoError(t, err)
			assert.Equal(t, queueURL, got)
			urls, err := root.ListQueues()
			require.NoError(t, err)
			assert.Equal(t, []string{queueURL}, urls)
			current, err := root.GetPolicy(queueURL)
			require.NoError(t, err)
			assert.JSONEq(t, deny, current)
			// The task policy allows nothing but the unlock.
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(root.SendMessage(queueURL, "root")))
			_, err = root.ReceiveBodies(queueURL)
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(root.DeleteQueue(queueURL)))
			_, err = root.CreateQueue("other")
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(err))

			// Another task's root session cannot touch the queue policy.
			s3Root := newClient(t, srv, srv.RootSession(t, member, policy.S3UnlockBucketPolicy))
			assert.Equal(t, "AccessDenied", testkit.ErrorCode(s3Root.SetPolicy(queueURL, "")))

			require.NoError(t, root.SetPolicy(queueURL, ""))
			current, err = root.GetPolicy(queueURL)
			require.NoError(t, err)
			assert.Empty(t, current)

			// Unlocked: the role gets its message.
			bodies, err := role.ReceiveBodies(queueURL)
			require.NoError(t, err)
			assert.Equal(t, []string{"kept safe"}, bodies)
		})
	}
}

// TestSQS_CrossAccountQueuePolicy: another account needs the queue policy
// and its own identity policy; a queue that does not exist is simply absent.
func TestSQS_CrossAccountQueuePolicy(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	member := srv.MemberAccount(t, "m")
	owner := sqsClient(srv, srv.AssumeAccessRole(t, member))
	out, err := owner.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shared")})
	require.NoError(t, err)
	admin := sqsClient(srv, srv.AdminCredentials())

	_, err = admin.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("hi")})
	assert.Equal(t, "AccessDenied", testkit.ErrorCode(err), "no queue policy grants the management account")
	arn := "arn:aws:sqs:us-east-1:" + member + ":shared"
	_, err = owner.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: out.QueueUrl, Attributes: map[string]string{
		"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + srv.ManagementAccountID() + `"},"Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`}})
	require.NoError(t, err)
	_, err = admin.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("hi")})
	require.NoError(t, err)
	got, err := admin.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("shared"), QueueOwnerAWSAccountId: aws.String(member)})
	assert.Equal(t, "AccessDenied", testkit.ErrorCode(err), "the policy grants SendMessage only")
	assert.Nil(t, got)

	_, err = admin.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("absent"), QueueOwnerAWSAccountId: aws.String(member)})
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", testkit.ErrorCode(err))
}

// --- fuzzing the decoding paths ---

// sqsOperations are the operations the fuzzer aims at.
var sqsOperations = []string{"CreateQueue", "GetQueueUrl", "ListQueues", "DeleteQueue", "GetQueueAttributes",
	"SetQueueAttributes", "SendMessage", "ReceiveMessage", "DeleteMessage", "PurgeQueue"}

// FuzzSQSRequestDecode sends arbitrary form and JSON bodies to every SQS
// operation: the server must answer each with a well-formed response or
// client error, never a 5xx (a recovered panic is a 500).
func FuzzSQSRequestDecode(f *testing.F) {
	srv := apitest.New(f)
	admin := srv.AdminCredentials()
	acct := srv.ManagementAccountID()
	_, err := sqsClient(srv, admin).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("fuzz")})
	require.NoError(f, err)
	queueURL := srv.URL + "/" + acct + "/fuzz"

	f.Add(uint8(0), false, false, "QueueName=a&Attribute.1.Name=Policy&Attribute.1.Value=%7B%7D")
	f.Add(uint8(0), true, false, `{"QueueName":"a","Attributes":{"VisibilityTimeout":"x"},"tags":{"":"v"}}`)
	f.Add(uint8(1), false, false, "QueueName=fuzz&QueueOwnerAWSAccountId=12")
	f.Add(uint8(2), true, false, `{"MaxResults":0,"NextToken":"cDEAc3RyaW5nLwAx"}`)
	f.Add(uint8(2), false, false, "MaxResults=99999999999999&NextToken=%00")
	f.Add(uint8(4), false, true, "AttributeName.1=All&AttributeName.2=Nope")
	f.Add(uint8(5), true, false, `{"QueueUrl":"`+queueURL+`","Attributes":{"Policy":"{\"Statement\":[]}"}}`)
	f.Add(uint8(6), false, true, "MessageBody=%ED%A0%80&DelaySeconds=-1")
	f.Add(uint8(6), true, false, `{"QueueUrl":"`+queueURL+`","MessageBody":"x","MessageAttributes":{"a":null,"b":{"DataType":"Binary","BinaryValue":"!!"}}}`)
	f.Add(uint8(6), false, true, "MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=Number&MessageAttribute.1.Value.StringValue=1e999")
	f.Add(uint8(7), false, true, "MaxNumberOfMessages=10&VisibilityTimeout=0&AttributeName.1=All")
	f.Add(uint8(7), true, false, `{"QueueUrl":"http://[::1/x","MaxNumberOfMessages":1e99}`)
	f.Add(uint8(8), false, true, "ReceiptHandle=cjEAeAAxAHk")
	f.Add(uint8(8), true, false, `{"QueueUrl":"/`+acct+`/fuzz","ReceiptHandle":"%%%"}`)
	f.Add(uint8(3), true, false, `[1,2,3]`)
	f.Fuzz(func(t *testing.T, opIndex uint8, asJSON, toQueuePath bool, body string) {
		op := sqsOperations[int(opIndex)%len(sqsOperations)]
		path := "/"
		if toQueuePath {
			path = "/" + acct + "/fuzz"
		}
		var r testkit.RawResponse
		if asJSON {
			r = testkit.PostSigned(t, srv, admin, "sqs", path, "application/x-amz-json-1.0", "AmazonSQS."+op, body)
			assert.True(t, json.Valid([]byte(r.Body)), "JSON response: %s", r.Body)
		} else {
			r = testkit.PostSigned(t, srv, admin, "sqs", path, "application/x-www-form-urlencoded", "",
				"Action="+op+"&Version=2012-11-05&"+body)
			assert.NoError(t, xml.Unmarshal([]byte(r.Body), new(struct{})), "XML response: %s", r.Body)
		}
		assert.Less(t, r.Status, 500, "%s %s: %s", op, body, r.Body)
		assert.False(t, strings.Contains(r.Body, "InternalFailure"), "%s", r.Body)
	})
}
