package api_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

// TestExpiry_EveryProtocolAnswersExpiredToken is story (d): a root session
// used after the clock passes its Expiration gets each protocol's own
// ExpiredToken error, and works up to the last second before it.
func TestExpiry_EveryProtocolAnswersExpiredToken(t *testing.T) {
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	ctx := context.Background()
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.SQSUnlockQueuePolicy), DurationSeconds: aws.Int32(600)})
	require.NoError(t, err)
	root := apitest.SessionCredentials(out.Credentials)
	expiration := aws.ToTime(out.Credentials.Expiration)
	assert.WithinDuration(t, srv.Clock.Now().Add(600*time.Second), expiration, 2*time.Second)

	queueURL := srv.URL + "/" + member + "/anything"
	calls := map[string]func() error{
		"sts": func() error {
			_, err := sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
			return err
		},
		"iam": func() error {
			_, err := iam.NewFromConfig(srv.Config(root)).GetUser(ctx, &iam.GetUserInput{})
			return err
		},
		"s3": func() error {
			_, err := testkit.S3Client(srv, root).ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		},
		"sqs-json": func() error {
			_, err := sqs.NewFromConfig(srv.Config(root)).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		},
	}

	srv.Clock.Set(expiration.Add(-time.Second))
	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	require.NoError(t, err, "a session lives until its Expiration")
	_, err = sqs.NewFromConfig(srv.Config(root)).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("anything")})
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", testkit.ErrorCode(err), "still authenticated: %v", err)

	srv.Clock.Set(expiration)
	testkit.RequireAWSError(t, calls["sts"](), "ExpiredToken", http.StatusForbidden)
	testkit.RequireAWSError(t, calls["iam"](), "ExpiredToken", http.StatusForbidden)
	testkit.RequireAWSError(t, calls["s3"](), "ExpiredToken", http.StatusBadRequest)
	testkit.RequireAWSError(t, calls["sqs-json"](), "ExpiredToken", http.StatusForbidden)

	// The query protocol's envelope for SQS.
	status, e := testkit.PostQueryError(t, srv, root, "sqs", url.Values{"Action": {"ListQueues"}, "Version": {"2012-11-05"}, "QueueUrl": {queueURL}}.Encode())
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "ExpiredToken", e.Error.Code)
}
