package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkEventTemplates says where the record templates disagree with event
// history: every templated event's template is there, each counts exactly
// the events that refer to it, none is kept for no event, and each is
// keyed by its shape's hash.
func checkEventTemplates(tx *Tx) error {
	refs := map[templateKey]int{}
	err := tx.btx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
		_, stored, err := decodeEventHeader(v)
		if stored.templated {
			refs[stored.key]++
		}
		return err
	})
	if err != nil {
		return err
	}
	err = tx.btx.Bucket(eventTemplatesBucket).ForEach(func(k, v []byte) error {
		if len(v) < 8 || templateKey(k) != templateKeyOf(v[8:]) {
			return fmt.Errorf("template %x is not keyed by its shape's hash", k)
		}
		if n := binary.BigEndian.Uint64(v); n == 0 || n != uint64(refs[templateKey(k)]) {
			return fmt.Errorf("template %x counts %d references; %d events refer to it", k, n, refs[templateKey(k)])
		}
		delete(refs, templateKey(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k, n := range refs {
		return fmt.Errorf("%d events refer to template %x, which is missing", n, k)
	}
	return nil
}

// Splitting a record at its holes and joining it again gives the record
// back, byte for byte, wherever the holes are and whatever they hold; a
// record without every hole is not split.
func FuzzSplitRecord(f *testing.F) {
	for _, seed := range []string{
		`{"eventTime":"2026-12-02T18:04:53Z","requestID":"r","eventID":"e","x":1}`,
		`{"eventID":"e","requestID":"","eventTime":"t"}`, // other order, an empty value
		`{"requestParameters":{"eventTime":"nested"},"eventTime":"t","requestID":"r\"q","eventID":"e"}`,
		`{"eventTime":"t","requestID":"r"}`, // no eventID
		`{"eventTime":"t","requestID":"r","eventID":"unterminated`,
		`"eventTime":"eventID":"requestID":"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		shape, values, ok := splitRecord(rec, nil)
		for _, field := range holeFields {
			if !bytes.Contains(rec, field) {
				require.False(t, ok)
			}
		}
		if !ok {
			return
		}
		got, err := joinRecord(shape, values[:])
		require.NoError(t, err)
		require.Equal(t, string(rec), string(got))
		// A damaged shape is an error or some record, never a panic.
		for n := range len(shape) {
			_, _ = joinRecord(shape[:n], values[:])
		}
	})
}

func templatedEvents(t *testing.T, st *Store, at time.Time, n int, shape string) []Event {
	t.Helper()
	var evs []Event
	for i := range n {
		when := at.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("%s-%d-%d", shape, at.Unix(), i)
		evs = append(evs, Event{ID: id, Account: "111111111111", Region: "us-east-1", Time: when,
			Name: "GetCallerIdentity", Source: "sts.amazonaws.com", ReadOnly: true, Management: true,
			Record: json.RawMessage(fmt.Sprintf(`{"eventTime":"%s","shape":%q,"requestID":"req-%d","eventID":"%s"}`,
				when.Format(time.RFC3339), shape, i, id))})
	}
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.RecordEvents(evs, EventLimits{MaxPerAccount: 5})
	}))
	return evs
}

type templateCounts struct{ inline, templated, templates int }

func countTemplates(t *testing.T, st *Store) templateCounts {
	t.Helper()
	var c templateCounts
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		require.NoError(t, tx.btx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
			if v[0] == templatedEventFormat {
				c.templated++
			} else {
				c.inline++
			}
			return nil
		}))
		c.templates = tx.btx.Bucket(eventTemplatesBucket).Stats().KeyN
		return checkEventPostings(tx)
	}))
	return c
}

// Records of one shape share one template, counted; a shape alone in its
// batch and not yet stored is kept whole, one already stored is referred
// to; the template goes with the last event that refers to it.
func TestEventTemplates_SharedCountedAndDropped(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "t.db"))
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.PutAccount(Account{ID: "111111111111"}) }))
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

	a := templatedEvents(t, st, at, 4, "a")
	assert.Equal(t, templateCounts{templated: 4, templates: 1}, countTemplates(t, st))
	b := templatedEvents(t, st, at.Add(time.Second), 1, "b") // alone and new: whole
	assert.Equal(t, templateCounts{inline: 1, templated: 4, templates: 1}, countTemplates(t, st))
	a2 := templatedEvents(t, st, at.Add(2*time.Second), 1, "a") // alone but stored: by reference; the cap drops a[0]
	assert.Equal(t, templateCounts{inline: 1, templated: 4, templates: 1}, countTemplates(t, st))

	got := allEvents(t, st, EventQuery{Account: "111111111111"}, 2)
	want := []Event{a2[0], b[0], a[3], a[2], a[1]}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID)
		assert.Equal(t, string(want[i].Record), string(got[i].Record))
	}
	// Six of shape c, over the cap of five: every a and b goes, and with them
	// a's template; the first c goes in the batch it came in.
	templatedEvents(t, st, at.Add(3*time.Second), 6, "c")
	assert.Equal(t, templateCounts{templated: 5, templates: 1}, countTemplates(t, st))
}

// A template whose hash names another shape is never used for it: the
// records are kept whole and read back as they were.
func TestEventTemplates_HashClashKeepsRecordsWhole(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "t.db"))
	require.NoError(t, err)
	defer st.Close()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	probe := Event{Record: json.RawMessage(fmt.Sprintf(`{"eventTime":"%s","shape":"a","requestID":"req-0","eventID":"x"}`,
		at.Format(time.RFC3339)))}
	shape, _, ok := splitRecord(probe.Record, nil)
	require.True(t, ok)
	key := templateKeyOf(shape)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutAccount(Account{ID: "111111111111"}); err != nil {
			return err
		}
		return tx.btx.Bucket(eventTemplatesBucket).Put(key[:], append(binary.BigEndian.AppendUint64(nil, 1), "another shape"...))
	}))
	evs := templatedEvents(t, st, at, 3, "a")
	got := allEvents(t, st, EventQuery{Account: "111111111111"}, 10)
	require.Len(t, got, 3)
	for i, e := range got {
		assert.Equal(t, string(evs[2-i].Record), string(e.Record))
	}
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		return tx.btx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
			assert.Equal(t, byte(eventFormat), v[0])
			return nil
		})
	}))
}

// A templated value round-trips every field and its record, and a damaged
// one is an error, not a panic.
func TestTemplatedEventEncoding_RoundTripsAndRefusesDamage(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "t.db"))
	require.NoError(t, err)
	defer st.Close()
	ev := Event{ID: "e-1", Account: "111111111111", Region: "eu-west-1", Time: time.Date(2026, 12, 2, 1, 2, 3, 4, time.UTC),
		Name: "N", Source: "s3.amazonaws.com", ReadOnly: true, Username: "root", AccessKeyID: "ASIA1", Management: true,
		Resources: []EventResource{{Type: "AWS::S3::Bucket", Name: "b", ARN: "arn:aws:s3:::b"}},
		Record:    json.RawMessage(`{"eventTime":"2026-12-02T01:02:03Z","requestID":"r-1","eventID":"e-1","a":1}`)}
	shape, values, ok := splitRecord(ev.Record, nil)
	require.True(t, ok)
	key := templateKeyOf(shape)
	data := encodeTemplatedEvent(ev, key, values)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.btx.Bucket(eventTemplatesBucket).Put(key[:], append(binary.BigEndian.AppendUint64(nil, 1), shape...))
	}))
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		got, err := decodeEvent(data, tx.templateReader())
		require.NoError(t, err)
		assert.Equal(t, ev, got)
		for n := range len(data) {
			_, err := decodeEvent(data[:n], tx.templateReader())
			assert.Error(t, err, "cut at %d", n)
		}
		_, err = decodeEvent(data, nil)
		assert.Error(t, err)
		return nil
	}))
}

// A schema-5 file (every record whole) opens at schema 6 with its history
// as it was, and new records go on top by reference.
func TestEventTemplates_Schema5FileReadsOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v5.db")
	st, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.PutAccount(Account{ID: "111111111111"}) }))
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var old []Event
	for i := range 3 { // one a batch: each kept whole
		old = append(templatedEvents(t, st, at.Add(time.Duration(i)*time.Second), 1, "a"), old...)
	}
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		require.NoError(t, tx.btx.DeleteBucket(eventTemplatesBucket))
		return tx.btx.Bucket(metaBucket).Put([]byte("schema"), []byte("5"))
	}))
	require.NoError(t, st.Close())

	st, err = Open(path)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		assert.Equal(t, "6", string(tx.btx.Bucket(metaBucket).Get([]byte("schema"))))
		return nil
	}))
	assert.Equal(t, templateCounts{inline: 3}, countTemplates(t, st))
	added := templatedEvents(t, st, at.Add(time.Minute), 2, "a")
	assert.Equal(t, templateCounts{inline: 3, templated: 2, templates: 1}, countTemplates(t, st))
	got := allEvents(t, st, EventQuery{Account: "111111111111"}, 10)
	want := append([]Event{added[1], added[0]}, old...)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, string(want[i].Record), string(got[i].Record))
	}
}
