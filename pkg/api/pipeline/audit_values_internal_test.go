package pipeline

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{"AccessKeyId": "accessKeyId", "ARN": "arn", "Arn": "arn",
		"QueueURL": "queueURL", "SSEKMSKeyId": "ssekmsKeyId", "userName": "userName", "": ""} {
		assert.Equal(t, want, lowerCamel(in), in)
	}
}

func TestRecordValues_NamesTimesAndSecrets(t *testing.T) {
	type inner struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type out struct {
		Credentials inner
		Users       []string `xml:"Users>member"`
		Created     time.Time
		Empty       string
	}
	at := time.Date(2024, 10, 25, 21, 7, 11, 0, time.UTC)
	got := auditValue(&out{Credentials: inner{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t",
		Expiration: XMLTime(at)}, Users: []string{"a"}, Created: at}, ProtoQuery)
	assert.Equal(t, map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA1", "expiration": "Oct 25, 2024, 9:07:11 PM"},
		"users": []any{"a"}, "created": "Oct 25, 2024, 9:07:11 PM"}, got)

	type query struct {
		TargetPrincipal string            `query:"TargetPrincipal"`
		TaskPolicyArn   string            `query:"TaskPolicyArn.arn"`
		DurationSeconds *int32            `query:"DurationSeconds"`
		Password        string            `query:"Password"`
		Tags            map[string]string `query:"Tags.member,flat,map=Key/Value"`
	}
	d := int32(900)
	params := scrub(queryParameters(reflect.ValueOf(&query{TargetPrincipal: "222222222222", TaskPolicyArn: "arn:x",
		DurationSeconds: &d, Password: "hunter2", Tags: map[string]string{"k": "v"}})))
	assert.Equal(t, map[string]any{"targetPrincipal": "222222222222", "taskPolicyArn": map[string]any{"arn": "arn:x"},
		"durationSeconds": int32(900), "tags": []any{map[string]any{"key": "k", "value": "v"}}}, params)
}
