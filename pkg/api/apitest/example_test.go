package apitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/policy"
)

// exampleT stands in for the *testing.T that a test passes to the helpers,
// so that these examples run under go test: it panics on failure and cleans
// up when done is called. In your tests, pass t.
type exampleT struct {
	dir      string
	cleanups []func()
}

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) TempDir() string {
	dir, err := os.MkdirTemp("", "apitest-example-")
	if err != nil {
		panic(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// errorCode is the AWS error code of err.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprint(err)
}

var ctx = context.Background()

func ExampleNew() {
	t := newExampleT() // in a test: t *testing.T
	defer t.done()

	srv := apitest.New(t)
	who, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(who.Arn))
	// Output: arn:aws:iam::111111111111:user/admin
}

func ExampleWithLogger() {
	t := newExampleT()
	defer t.done()

	var logs bytes.Buffer // in a test: apitest.WithLogger(t.Output())
	srv := apitest.New(t, apitest.WithLogger(&logs))
	_, err := sts.NewFromConfig(srv.Config(aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"})).
		GetCallerIdentity(ctx, nil)
	fmt.Println(errorCode(err))
	fmt.Println(strings.Contains(logs.String(), "InvalidClientTokenId"))
	// Output:
	// InvalidClientTokenId
	// true
}

func ExampleWithoutOrganization() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t, apitest.WithoutOrganization())
	_, err := organizations.NewFromConfig(srv.Config(srv.AdminCredentials())).DescribeOrganization(ctx, nil)
	fmt.Println(errorCode(err))
	// Output: AWSOrganizationsNotInUseException
}

func ExampleServer_MemberAccount() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	out, err := organizations.NewFromConfig(srv.Config(srv.AdminCredentials())).
		DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &member})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Account.Name), len(member))
	// Output: workload 12
}

func ExampleServer_RootSession() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)
	root := srv.RootSession(t, member, policy.AuditRootUserCredentials)
	who, err := sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(who.Arn) == "arn:aws:iam::"+member+":root")

	srv.Clock.Advance(16 * time.Minute) // root sessions last 15 minutes at most
	_, err = sts.NewFromConfig(srv.Config(root)).GetCallerIdentity(ctx, nil)
	fmt.Println(errorCode(err))
	// Output:
	// true
	// ExpiredToken
}

func ExampleServer_AssumeAccessRole() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	admin := s3.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, member)), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("workload-data")}); err != nil {
		panic(err)
	}
	out, err := admin.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Buckets[0].Name))
	// Output: workload-data
}

func ExampleServer_LoadScenario() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	fleet := srv.LoadScenario(t, "legacy-fleet") // or a path: srv.LoadScenario(t, "testdata/my-world.json")
	for _, acct := range fleet.Accounts {
		fmt.Println(acct.Name)
	}
	again := srv.LoadScenario(t, "legacy-fleet")
	fmt.Println(again.AlreadyApplied, again.Accounts[0].ID == fleet.Accounts[0].ID)
	// Output:
	// legacy-payments
	// legacy-marketing
	// legacy-data
	// legacy-sandbox
	// legacy-archive
	// true true
}

func ExampleServer_LockedBucket() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	locked := srv.LockedBucket(t)
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	role := s3.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, locked.AccountID)), pathStyle)
	_, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &locked.Bucket, Key: &locked.Key})
	fmt.Println(errorCode(err))

	root := s3.NewFromConfig(srv.Config(srv.RootSession(t, locked.AccountID, policy.S3UnlockBucketPolicy)), pathStyle)
	if _, err := root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &locked.Bucket}); err != nil {
		panic(err)
	}
	obj, err := role.GetObject(ctx, &s3.GetObjectInput{Bucket: &locked.Bucket, Key: &locked.Key})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(obj.Body)
	fmt.Print(string(body))
	// Output:
	// AccessDenied
	// quarter,revenue
	// Q3,1250000
}

func ExampleServer_LockedQueue() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	locked := srv.LockedQueue(t)
	role := sqs.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, locked.AccountID)))
	_, err := role.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &locked.URL})
	fmt.Println(errorCode(err))

	root := sqs.NewFromConfig(srv.Config(srv.RootSession(t, locked.AccountID, policy.SQSUnlockQueuePolicy)))
	if _, err := root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &locked.URL,
		Attributes: map[string]string{"Policy": ""}}); err != nil {
		panic(err)
	}
	out, err := role.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &locked.URL})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Messages[0].Body))
	// Output:
	// AccessDenied
	// {"order":1042,"status":"paid"}
}

func ExampleServer_LegacyAccount() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	legacy := srv.LegacyAccount(t, "legacy-billing")
	audit := iam.NewFromConfig(srv.Config(srv.RootSession(t, legacy.AccountID, policy.AuditRootUserCredentials)))
	summary, err := audit.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		panic(err)
	}
	fmt.Println(summary.SummaryMap["AccountPasswordPresent"], summary.SummaryMap["AccountAccessKeysPresent"], summary.SummaryMap["AccountMFAEnabled"])

	del := iam.NewFromConfig(srv.Config(srv.RootSession(t, legacy.AccountID, policy.DeleteRootUserCredentials)))
	if _, err := del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: &legacy.RootKey.AccessKeyID}); err != nil {
		panic(err)
	}
	_, err = sts.NewFromConfig(srv.Config(legacy.RootKey)).GetCallerIdentity(ctx, nil)
	fmt.Println(errorCode(err))
	// Output:
	// 1 1 1
	// InvalidClientTokenId
}

func ExampleWithSeed() {
	t := newExampleT()
	defer t.done()

	seed := api.DefaultSeed()
	seed.ManagementAccountID, seed.AccessKeyID, seed.SecretAccessKey = "123456789012", "AKIAADMIN00000000001", "admin-secret"
	srv := apitest.New(t, apitest.WithSeed(seed))
	who, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(who.Arn))
	// Output: arn:aws:iam::123456789012:user/admin
}

func ExampleServer_ApplyScenario() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	sc, err := api.ParseScenario([]byte(`{"name": "reports", "accounts": [{"management": true, "buckets": [{"name": "reports-{{account_id}}"}]}]}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(srv.ApplyScenario(t, sc).Accounts[0].Buckets)
	fmt.Println(srv.ApplyScenario(t, sc).AlreadyApplied) // named: the second time changes nothing
	// Output:
	// [reports-111111111111]
	// true
}

func ExampleServer_EnableRootAccess() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	srv.EnableRootAccess(t)
	out, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.EnabledFeatures)
	// Output: [RootCredentialsManagement RootSessions]
}

func ExampleServer_AssumeRole() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	srv.LoadScenario(t, "root-auditor") // a role allowed sts:AssumeRoot for the audit task only
	member := srv.MemberAccount(t, "workload")
	auditor := sts.NewFromConfig(srv.Config(srv.AssumeRole(t, "arn:aws:iam::111111111111:role/root-auditor")))
	for _, task := range []string{policy.AuditRootUserCredentials, policy.S3UnlockBucketPolicy} {
		_, err := auditor.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: &member,
			TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(policy.ARN(task))}})
		fmt.Println(task, errorCode(err))
	}
	// Output:
	// IAMAuditRootUserCredentials <nil>
	// S3UnlockBucketPolicy AccessDenied
}

func ExampleWithServerOptions() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t, apitest.WithServerOptions(api.WithControlToken("s3cret")))
	resp, err := srv.Client().Post(srv.URL+"/_emulator/reset", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 401
}

func ExampleSessionCredentials() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	if err != nil {
		panic(err)
	}
	creds := apitest.SessionCredentials(out.Credentials)
	who, err := sts.NewFromConfig(srv.Config(creds)).GetCallerIdentity(ctx, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(who.Arn) == "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops")
	// Output: true
}

func ExampleServer_CreateOU() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	sandbox := srv.CreateOU(t, srv.RootID(t), "sandbox")
	srv.MoveAccount(t, member, sandbox)
	parents, err := srv.Organizations().ListParents(ctx, &organizations.ListParentsInput{ChildId: &member})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(parents.Parents[0].Id) == sandbox, parents.Parents[0].Type)
	// Output: true ORGANIZATIONAL_UNIT
}

func ExampleServer_AttachNewPolicy() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	sandbox := srv.CreateOU(t, srv.RootID(t), "sandbox")
	srv.MoveAccount(t, member, sandbox)
	srv.EnablePolicyType(t, orgtypes.PolicyTypeServiceControlPolicy) // FullAWSAccess everywhere
	srv.AttachNewPolicy(t, orgtypes.PolicyTypeServiceControlPolicy, "no-iam",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, sandbox)

	// Even an administrator of the member account is refused what the SCP denies.
	_, err := iam.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, member))).ListUsers(ctx, &iam.ListUsersInput{})
	fmt.Println(errorCode(err))
	// Output: AccessDenied
}

func ExampleServer_Events() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	if _, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil); err != nil {
		panic(err)
	}
	events := srv.Events(t, srv.ManagementAccountID()) // newest first
	identity := events[0]["userIdentity"].(map[string]any)
	fmt.Println(events[0]["eventName"], identity["type"], identity["userName"])
	// Output: GetCallerIdentity IAMUser admin
}

func ExampleServer_NewTenant() {
	t := newExampleT()
	defer t.done()

	srv := apitest.New(t)
	// A tenant is a world of its own; its scenario may be a shipped one's name.
	trainee := srv.NewTenant(t, api.TenantSpec{ID: "trainee-01", Scenario: json.RawMessage(`"locked-bucket"`)})
	accounts, err := organizations.NewFromConfig(srv.Config(apitest.TenantCredentials(trainee))).
		ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		panic(err)
	}
	fmt.Println(trainee.Scenario.Name, len(accounts.Accounts))
	// Output: locked-bucket 2
}
