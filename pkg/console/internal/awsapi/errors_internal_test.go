package awsapi

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Envelopes the emulator's services do not send today but AWS's do: the
// decoders must read them as the SDKs do.
func TestErrorEnvelopes_AsTheSDKsReadThem(t *testing.T) {
	for _, tc := range []struct {
		name       string
		json       bool
		header     http.Header
		body       string
		code, text string
	}{
		{"JSONNamespacedType", true, nil, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}`, "AccessDeniedException", "no"},
		{"JSONHeaderWithURISuffix", true, http.Header{"X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/coral/"}},
			`{"Message":"slow down"}`, "ThrottlingException", "slow down"},
		{"JSONQueryCompatibleCode", true, http.Header{"X-Amzn-Query-Error": {"AWS.SimpleQueueService.NonExistentQueue;Sender"}},
			`{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}`, "AWS.SimpleQueueService.NonExistentQueue", "gone"},
		{"JSONNoEnvelope", true, nil, `<html>bad gateway</html>`, "UnknownError", http.StatusText(http.StatusBadGateway)},
		{"QueryErrorResponse", false, nil, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>none</Message></Error><RequestId>1</RequestId></ErrorResponse>`, "NoSuchEntity", "none"},
		{"S3Error", false, nil, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName></Error>`, "NoSuchBucket", "The specified bucket does not exist"},
		{"XMLNoEnvelope", false, nil, ``, "UnknownError", http.StatusText(http.StatusBadGateway)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &response{status: http.StatusBadGateway, header: tc.header, body: []byte(tc.body)}
			if resp.header == nil {
				resp.header = http.Header{}
			}
			decode := xmlError
			if tc.json {
				decode = jsonError
			}
			err := decode(resp)
			e, ok := err.(*Error)
			if assert.True(t, ok, "%v", err) {
				assert.Equal(t, tc.code, e.Code)
				assert.Equal(t, tc.text, e.Message)
				assert.Equal(t, http.StatusBadGateway, e.StatusCode)
			}
		})
	}
}

func TestEpochSeconds_KeepsMilliseconds(t *testing.T) {
	var v struct{ T epochSeconds }
	assert.NoError(t, json.Unmarshal([]byte(`{"T":1764633600.123}`), &v))
	assert.Equal(t, time.Date(2025, 12, 2, 0, 0, 0, 123e6, time.UTC), time.Time(v.T))
	assert.Error(t, json.Unmarshal([]byte(`{"T":"yesterday"}`), &v))
}
