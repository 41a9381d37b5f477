package api_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/store"
)

// rootKey gives the account's root user a long-term access key.
func rootKey(t *testing.T, srv *apitest.Server, account string) aws.Credentials {
	t.Helper()
	var creds store.RootCredentials
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		creds, err = tx.AddRootCredentials(account, store.RootCredentialsSpec{AccessKeys: []store.AccessKeySpec{{}}})
		return err
	})
	require.NoError(t, err)
	return testkit.KeyCredentials(creds.AccessKeys[0])
}

// grantPolicy is a resource policy granting action on resource to principal
// (a JSON value: "*" or {"AWS":…}).
func grantPolicy(principal, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal +
		`,"Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// TestCrossAccount_RootOfAnotherAccount: the root user of account A may use
// a bucket or queue of account B when B's resource policy grants A (by
// account id, by A's root ARN, or to everyone), and not otherwise; the
// root's identity side allows everything, so the resource policy decides,
// as for every cross-account request.
func TestCrossAccount_RootOfAnotherAccount(t *testing.T) {
	srv := apitest.New(t)
	a := srv.MemberAccount(t, "caller")
	b := srv.MemberAccount(t, "owner")
	rootA := rootKey(t, srv, a)
	ctx := context.Background()

	grants := map[string]string{
		"account id": `{"AWS":"` + a + `"}`,
		"root ARN":   `{"AWS":"arn:aws:iam::` + a + `:root"}`,
		"everyone":   `"*"`,
		"other":      `{"AWS":"` + srv.ManagementAccountID() + `"}`,
	}
	for name, principal := range grants {
		t.Run("bucket granted to "+name, func(t *testing.T) {
			bucket := "cross-" + strings.ReplaceAll(name, " ", "-") + "-" + b
			err := srv.Store.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.CreateBucket(store.Bucket{Name: bucket, Owner: b, Region: "us-east-1",
					Policy: grantPolicy(principal, "s3:GetObject", "arn:aws:s3:::"+bucket+"/*")}); err != nil {
					return err
				}
				_, err := tx.PutObject(store.Object{ObjectInfo: store.ObjectInfo{Bucket: bucket, Key: "k", ETag: `"x"`}, Data: []byte("shared")})
				return err
			})
			require.NoError(t, err)
			out, err := testkit.S3Client(srv, rootA).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			if name == "other" {
				testkit.RequireAWSError(t, err, "AccessDenied", 403)
				return
			}
			require.NoError(t, err)
			data, err := io.ReadAll(out.Body)
			require.NoError(t, err)
			assert.Equal(t, "shared", string(data))
			// Only what the policy grants: the bucket's listing is not.
			_, err = testkit.S3Client(srv, rootA).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			testkit.RequireAWSError(t, err, "AccessDenied", 403)
		})
	}

	t.Run("queue granted to the account", func(t *testing.T) {
		ref := store.QueueRef{AccountID: b, Region: "us-east-1", Name: "shared"}
		arn := "arn:aws:sqs:us-east-1:" + b + ":shared"
		err := srv.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.PutQueue(store.Queue{QueueRef: ref, CreatedAt: tx.Now(), ModifiedAt: tx.Now(),
				Attributes: map[string]string{"Policy": grantPolicy(`{"AWS":"`+a+`"}`, "sqs:SendMessage", arn),
					"VisibilityTimeout": "30", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
					"DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0"}})
		})
		require.NoError(t, err)
		url := srv.URL + "/" + b + "/shared"
		client := sqs.NewFromConfig(srv.Config(rootA))
		_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("hi")})
		require.NoError(t, err)
		_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		testkit.RequireAWSError(t, err, "AccessDenied", 403)
	})
}

// TestCrossAccount_AccountGrantDelegates: naming an account in Principal
// grants to the account, so its users need their own identity policies to
// allow the action as well (both sides must allow across accounts).
func TestCrossAccount_AccountGrantDelegates(t *testing.T) {
	srv := apitest.New(t)
	a := srv.MemberAccount(t, "caller")
	b := srv.MemberAccount(t, "owner")
	ctx := context.Background()
	bucket := "delegated-" + b
	err := srv.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateBucket(store.Bucket{Name: bucket, Owner: b, Region: "us-east-1",
			Policy: grantPolicy(`{"AWS":"arn:aws:iam::`+a+`:root"}`, "s3:ListBucket", "arn:aws:s3:::"+bucket)})
		return err
	})
	require.NoError(t, err)

	bare := testkit.CreateUser(t, srv, a, "bare", "")
	_, err = testkit.S3Client(srv, bare).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	testkit.RequireAWSError(t, err, "AccessDenied", 403)

	lister := testkit.CreateUser(t, srv, a, "lister",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	_, err = testkit.S3Client(srv, lister).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
}
