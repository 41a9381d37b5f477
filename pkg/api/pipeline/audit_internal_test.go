package pipeline

import (
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A recorded write may run again when a neighbour in its commit group
// fails: what the rolled-back run wrote is forgotten, so the client gets
// the last run's answer alone.
func TestHeldResponse_ResetForgetsARolledBackRun(t *testing.T) {
	held := &heldResponse{header: map[string][]string{}}
	held.Header().Set("X-First", "1")
	held.WriteHeader(409)
	_, _ = held.Write([]byte("first"))
	held.reset()
	held.Header().Set("X-Second", "2")
	_, _ = held.Write([]byte("second"))
	rec := httptest.NewRecorder()
	held.sendTo(rec)
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "second", rec.Body.String())
	assert.Empty(t, rec.Header().Get("X-First"))
	assert.Equal(t, "2", rec.Header().Get("X-Second"))
}

// Event ids are version-7 UUIDs: the event's millisecond first, so that
// they sort by time, and random after it.
func TestNewEventID_TimeOrderedUUID(t *testing.T) {
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := newEventID(at), newEventID(at)
	assert.Regexp(t, shape, a)
	assert.NotEqual(t, a, b, "random after the time")
	assert.Equal(t, a[:13], b[:13], "one millisecond, one prefix")
	later := newEventID(at.Add(time.Millisecond))
	assert.Less(t, a[:13], later[:13])
	assert.Equal(t, "019cdc63-8c00", newEventID(time.UnixMilli(0x019cdc638c00))[:13])
}
