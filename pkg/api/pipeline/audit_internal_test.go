package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/store"
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

// The buffers a committed batch hands back serve the next records, as many
// as a batch of that size needs: a flood's are kept while it lasts, up to
// maxRecordBuffers, and the first quieter batch after it gives the rest back.
func TestRecorder_KeepsTheBuffersALikeBatchNeeds(t *testing.T) {
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	st, err := store.Open(filepath.Join(t.TempDir(), "emulator.db"), store.WithNow(func() time.Time { return start }))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r := NewRecorder(st, slog.New(slog.DiscardHandler), RecorderConfig{FlushDelay: time.Second})
	ctx := context.Background()
	n := 0
	flushBatch := func(size int) {
		events := make([]store.Event, size)
		for i := range events {
			n++
			at := start.Add(time.Duration(n) * time.Millisecond)
			id := newEventID(at)
			events[i] = store.Event{ID: id, Account: "111111111111", Region: "us-east-1", Time: at,
				Name: "GetCallerIdentity", Source: "sts.amazonaws.com", ReadOnly: true, Management: true,
				Record: fmt.Appendf(r.recordBuffer(), `{"eventTime":"%s","requestID":"r%d","eventID":"%s"}`,
					at.Format(time.RFC3339), n, id)}
		}
		r.enqueue(events)
		require.NoError(t, r.Flush(ctx))
	}
	flushBatch(5000)
	assert.Equal(t, 5000, len(r.buffers), "a flood's buffers are kept for its next batch")
	flushBatch(5000)
	assert.Equal(t, 5000, len(r.buffers), "a steady load keeps them all")
	flushBatch(100)
	assert.Equal(t, 2*100+minRecordBuffers, len(r.buffers), "a quieter batch gives the rest back")
	flushBatch(maxRecordBuffers + 500)
	assert.Equal(t, maxRecordBuffers, len(r.buffers), "never more than the bound")
	require.NoError(t, r.Close(ctx))
}
