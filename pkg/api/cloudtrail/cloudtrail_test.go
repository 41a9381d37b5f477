package cloudtrail_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
	"github.com/rootaccess/emulator/pkg/policy"
)

func ctClient(srv *apitest.Server, creds aws.Credentials) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(srv.Config(creds))
}

// record decodes an event's CloudTrailEvent.
func record(t *testing.T, ev cttypes.Event) map[string]any {
	t.Helper()
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &rec))
	return rec
}

func lookup(t *testing.T, c *cloudtrail.Client, key cttypes.LookupAttributeKey, value string) []cttypes.Event {
	t.Helper()
	out, err := c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(value)}}})
	require.NoError(t, err)
	return out.Events
}

func path(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// The correlation story of AWS's "Track privileged tasks in CloudTrail":
// find AssumeRoot in the management account, take the key it issued, and
// look it up in the member account to see what the root session did.
func TestCorrelation_AssumeRootToRootSessionActions(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	member := srv.MemberAccount(t, "workload")
	srv.EnableRootAccess(t)

	// A bucket in the member account whose policy locks everyone out.
	memberAdmin := srv.AssumeAccessRole(t, member)
	s3m := testkit.S3Client(srv, memberAdmin)
	_, err := s3m.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked-bucket")})
	require.NoError(t, err)
	_, err = s3m.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("locked-bucket"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::locked-bucket/*"}]}`)})
	require.NoError(t, err)

	out, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(member), TaskPolicyArn: testkit.TaskPolicy(policy.S3UnlockBucketPolicy),
		DurationSeconds: aws.Int32(600)})
	require.NoError(t, err)
	root := apitest.SessionCredentials(out.Credentials)
	s3r := testkit.S3Client(srv, root)
	_, err = s3r.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("locked-bucket")})
	require.NoError(t, err)
	_, err = s3r.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("not-in-the-task")})
	testkit.RequireAWSError(t, err, "AccessDenied", http.StatusForbidden)

	// 1. The management account sees AssumeRoot: caller, target, task policy, issued key.
	events := lookup(t, ctClient(srv, srv.AdminCredentials()), cttypes.LookupAttributeKeyEventName, "AssumeRoot")
	require.Len(t, events, 1)
	ev := events[0]
	assert.Equal(t, "sts.amazonaws.com", aws.ToString(ev.EventSource))
	assert.Equal(t, "admin", aws.ToString(ev.Username))
	assert.Equal(t, srv.Seed.AccessKeyID, aws.ToString(ev.AccessKeyId))
	rec := record(t, ev)
	assert.Equal(t, "1.11", rec["eventVersion"])
	assert.Equal(t, "IAMUser", path(rec, "userIdentity", "type"))
	assert.Equal(t, "arn:aws:iam::"+srv.ManagementAccountID()+":user/admin", path(rec, "userIdentity", "arn"))
	assert.Equal(t, member, path(rec, "requestParameters", "targetPrincipal"))
	assert.Equal(t, policy.ARN(policy.S3UnlockBucketPolicy), path(rec, "requestParameters", "taskPolicyArn", "arn"))
	assert.EqualValues(t, 600, path(rec, "requestParameters", "durationSeconds"))
	issued := aws.ToString(out.Credentials.AccessKeyId)
	assert.Equal(t, issued, path(rec, "responseElements", "credentials", "accessKeyId"))
	assert.Equal(t, out.Credentials.Expiration.UTC().Format("Jan 2, 2006, 3:04:05 PM"), path(rec, "responseElements", "credentials", "expiration"))
	assert.Nil(t, path(rec, "responseElements", "credentials", "sessionToken"))
	assert.Nil(t, path(rec, "responseElements", "credentials", "secretAccessKey"))
	assert.Equal(t, []any{map[string]any{"accountId": member, "type": "AWS::IAM::Root", "ARN": "arn:aws:iam::" + member + ":root"}}, rec["resources"])
	assert.Equal(t, false, rec["readOnly"])
	assert.Equal(t, "AwsApiCall", rec["eventType"])
	assert.Equal(t, true, rec["managementEvent"])
	assert.Equal(t, "Management", rec["eventCategory"])
	assert.Equal(t, srv.ManagementAccountID(), rec["recipientAccountId"])

	// 2. The member account, looked up by the issued key: the root session's calls.
	memberEvents := lookup(t, ctClient(srv, memberAdmin), cttypes.LookupAttributeKeyAccessKeyId, issued)
	require.Len(t, memberEvents, 2)
	byName := map[string]map[string]any{}
	for _, e := range memberEvents {
		assert.Equal(t, "root", aws.ToString(e.Username))
		byName[aws.ToString(e.EventName)] = record(t, e)
	}
	del := byName["DeleteBucketPolicy"]
	require.NotNil(t, del)
	assert.Equal(t, map[string]any{"type": "Root", "principalId": member, "arn": "arn:aws:iam::" + member + ":root",
		"accountId": member, "accessKeyId": issued,
		"sessionContext": map[string]any{"attributes": map[string]any{
			"creationDate": out.Credentials.Expiration.Add(-600 * time.Second).UTC().Format(time.RFC3339), "mfaAuthenticated": "false"},
			"assumedRoot": "true"}}, del["userIdentity"])
	assert.Equal(t, "s3.amazonaws.com", del["eventSource"])
	assert.Equal(t, "locked-bucket", path(del, "requestParameters", "bucketName"))
	assert.Equal(t, "", path(del, "requestParameters", "policy"))
	assert.Nil(t, del["errorCode"])
	assert.Equal(t, member, del["recipientAccountId"])
	assert.Equal(t, []any{map[string]any{"accountId": member, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::locked-bucket"}}, del["resources"])
	refused := byName["CreateBucket"]
	require.NotNil(t, refused)
	assert.Equal(t, "AccessDenied", refused["errorCode"])
	assert.NotEmpty(t, refused["errorMessage"])
	assert.Equal(t, "true", path(refused, "userIdentity", "sessionContext", "assumedRoot"))
}

// --- LookupEvents ---

func TestLookupEvents_EveryAttributeFindsTheEvent(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	s3c := testkit.S3Client(srv, admin)
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lookup-bucket")})
	require.NoError(t, err)
	ct := ctClient(srv, admin)
	created := lookup(t, ct, cttypes.LookupAttributeKeyEventName, "CreateBucket")
	require.Len(t, created, 1)
	id := aws.ToString(created[0].EventId)
	assert.Equal(t, []cttypes.Resource{{ResourceType: aws.String("AWS::S3::Bucket"), ResourceName: aws.String("lookup-bucket")}}, created[0].Resources)
	assert.Equal(t, "false", aws.ToString(created[0].ReadOnly))
	for key, value := range map[cttypes.LookupAttributeKey]string{
		cttypes.LookupAttributeKeyEventId:      id,
		cttypes.LookupAttributeKeyReadOnly:     "false",
		cttypes.LookupAttributeKeyUsername:     "admin",
		cttypes.LookupAttributeKeyResourceType: "AWS::S3::Bucket",
		cttypes.LookupAttributeKeyResourceName: "lookup-bucket",
		cttypes.LookupAttributeKeyEventSource:  "s3.amazonaws.com",
		cttypes.LookupAttributeKeyAccessKeyId:  admin.AccessKeyID,
	} {
		events := lookup(t, ct, key, value)
		found := false
		for _, e := range events {
			found = found || aws.ToString(e.EventId) == id
		}
		assert.Truef(t, found, "%s=%s does not find the CreateBucket event", key, value)
	}
	// Reads are in history as read-only events; no match is an empty list.
	reads := lookup(t, ct, cttypes.LookupAttributeKeyReadOnly, "true")
	require.NotEmpty(t, reads)
	assert.Equal(t, "LookupEvents", aws.ToString(reads[0].EventName))
	assert.Empty(t, lookup(t, ct, cttypes.LookupAttributeKeyEventName, "NoSuchEvent"))
}

func TestLookupEvents_PagesNewestFirstWithinTheTimeRange(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	admin := srv.AdminCredentials()
	stsc := sts.NewFromConfig(srv.Config(admin))
	start := srv.Clock.Now().Add(-time.Second)
	for range 7 {
		_, err := stsc.GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
		srv.Clock.Advance(time.Minute)
	}
	ct := ctClient(srv, admin)
	var times []time.Time
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(3), StartTime: aws.Time(start),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("GetCallerIdentity")}}}
	pages := 0
	for p := cloudtrail.NewLookupEventsPaginator(ct, in); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.Events), 3)
		for _, e := range out.Events {
			times = append(times, aws.ToTime(e.EventTime))
		}
	}
	require.Len(t, times, 7)
	assert.Equal(t, 3, pages)
	for i := 1; i < len(times); i++ {
		assert.True(t, times[i-1].After(times[i]), "events are newest first")
	}
	// The time range bounds the lookup.
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(times[3]), EndTime: aws.Time(times[1]),
		LookupAttributes: in.LookupAttributes})
	require.NoError(t, err)
	assert.Len(t, out.Events, 3)
	// History keeps 90 days.
	srv.Clock.Advance(91 * 24 * time.Hour)
	out, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: in.LookupAttributes})
	require.NoError(t, err)
	assert.Empty(t, out.Events)
}

func TestLookupEvents_Errors(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	ct := ctClient(srv, srv.AdminCredentials())
	attr := func(k cttypes.LookupAttributeKey, v string) cttypes.LookupAttribute {
		return cttypes.LookupAttribute{AttributeKey: k, AttributeValue: aws.String(v)}
	}
	now := time.Now()
	noValidation := func(o *cloudtrail.Options) { o.APIOptions = append(o.APIOptions, testkit.SkipInputValidation) }
	cases := map[string]struct {
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		"two attributes": {&cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			attr(cttypes.LookupAttributeKeyEventName, "A"), attr(cttypes.LookupAttributeKeyUsername, "b")}}, "InvalidLookupAttributesException"},
		"unknown key":     {&cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr("Colour", "red")}}, "InvalidLookupAttributesException"},
		"empty value":     {&cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyEventName, "")}}, "InvalidLookupAttributesException"},
		"start after end": {&cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))}, "InvalidTimeRangeException"},
		"too many":        {&cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		"zero":            {&cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}, "InvalidMaxResultsException"},
		"bad token":       {&cloudtrail.LookupEventsInput{NextToken: aws.String("not-a-token")}, "InvalidNextTokenException"},
		"bad category":    {&cloudtrail.LookupEventsInput{EventCategory: "management"}, "InvalidEventCategoryException"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ct.LookupEvents(ctx, tc.in, noValidation)
			testkit.RequireAWSError(t, err, tc.code, http.StatusBadRequest)
		})
	}
	// A token of one lookup is refused by another.
	for range 3 {
		_, err := sts.NewFromConfig(srv.Config(srv.AdminCredentials())).GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
	}
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
	require.NoError(t, err)
	require.NotNil(t, out.NextToken)
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: out.NextToken,
		LookupAttributes: []cttypes.LookupAttribute{attr(cttypes.LookupAttributeKeyEventName, "GetCallerIdentity")}})
	testkit.RequireAWSError(t, err, "InvalidNextTokenException", http.StatusBadRequest)
	// Insights: the emulator raises none.
	ins, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight})
	require.NoError(t, err)
	assert.Empty(t, ins.Events)
}

func TestLookupEvents_NeedsPermission(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t)
	user := testkit.CreateUser(t, srv, srv.ManagementAccountID(), "nobody",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)
	_, err := ctClient(srv, user).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	testkit.RequireAWSError(t, err, "AccessDeniedException", http.StatusBadRequest)
	// The refusal is itself in history.
	var found bool
	for _, rec := range srv.Events(t, srv.ManagementAccountID()) {
		if rec["eventName"] == "LookupEvents" && rec["errorCode"] == "AccessDeniedException" {
			found = true
			assert.Equal(t, "nobody", path(rec, "userIdentity", "userName"))
		}
	}
	assert.True(t, found)
}

func TestEventHistory_CapDropsTheOldest(t *testing.T) {
	ctx := context.Background()
	srv := apitest.New(t, apitest.WithServerOptions(api.WithEventHistoryLimit(5)))
	stsc := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	for range 8 {
		_, err := stsc.GetCallerIdentity(ctx, nil)
		require.NoError(t, err)
	}
	_, err := iam.NewFromConfig(srv.Config(srv.AdminCredentials())).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("newest")})
	require.NoError(t, err)
	events := srv.Events(t, srv.ManagementAccountID())
	require.Len(t, events, 5)
	assert.Equal(t, "CreateUser", events[0]["eventName"])
}

// The recorder hands a committed batch's record buffers to the next
// records: no record may show another's bytes. Batches of reads, by
// several callers at once, flushed in between; then every record must
// still be the one its call wrote (its own event id, its own request id,
// its own caller).
func TestRecords_BufferReuseKeepsEveryRecordItsOwn(t *testing.T) {
	srv := apitest.New(t)
	admin := sts.NewFromConfig(srv.Config(srv.AdminCredentials()))
	ctx := context.Background()
	const rounds, perRound = 4, 150
	for range rounds {
		errs := make(chan error, perRound)
		for range perRound {
			go func() { _, err := admin.GetCallerIdentity(ctx, nil); errs <- err }()
		}
		for range perRound {
			require.NoError(t, <-errs)
		}
		require.NoError(t, srv.API.FlushRecords(ctx))
	}
	c := ctClient(srv, srv.AdminCredentials())
	p := cloudtrail.NewLookupEventsPaginator(c, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("GetCallerIdentity")}}})
	ids, requests := map[string]bool{}, map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, ev := range out.Events {
			rec := record(t, ev)
			assert.Equal(t, aws.ToString(ev.EventId), rec["eventID"], "the record is its event's")
			assert.Equal(t, "GetCallerIdentity", rec["eventName"])
			assert.False(t, ids[aws.ToString(ev.EventId)], "each event once")
			ids[aws.ToString(ev.EventId)] = true
			id, _ := rec["requestID"].(string)
			assert.False(t, requests[id], "each record its own request id")
			requests[id] = true
		}
	}
	assert.Len(t, ids, rounds*perRound)
}
