package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// checkEventPostings says where event history's posting lists disagree
// with its events: every event's attributes are in exactly one list each,
// nothing else is, the lists of a prefix are in order and never overlap,
// and each list is keyed by its first suffix.
func checkEventPostings(tx *Tx) error {
	want := map[string]bool{} // prefix + suffix
	err := tx.btx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
		account, suffix, _ := bytes.Cut(k, []byte{0})
		ev, _, err := decodeEventHeader(v)
		if err != nil {
			return err
		}
		for _, e := range ev.indexEntries() {
			want[string(indexPrefix(string(account), e[0], e[1]))+string(suffix)] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	got := map[string]bool{}
	var lastPrefix, lastSuffix []byte
	err = tx.btx.Bucket(eventPostingsBucket).ForEach(func(k, v []byte) error {
		if len(k) < suffixLen+1 || len(v) == 0 || len(v)%suffixLen != 0 || len(v)/suffixLen > postingSize {
			return fmt.Errorf("posting list %q: %d bytes", k, len(v))
		}
		prefix, first := k[:len(k)-suffixLen], k[len(k)-suffixLen:]
		if !bytes.Equal(first, v[:suffixLen]) {
			return fmt.Errorf("posting list %q is not keyed by its first suffix", k)
		}
		if bytes.Equal(prefix, lastPrefix) && bytes.Compare(lastSuffix, first) >= 0 {
			return fmt.Errorf("posting list %q overlaps the one before it", k)
		}
		for i := 0; i < len(v); i += suffixLen {
			s := v[i : i+suffixLen]
			if i > 0 && bytes.Compare(v[i-suffixLen:i], s) >= 0 {
				return fmt.Errorf("posting list %q is out of order", k)
			}
			key := string(prefix) + string(s)
			if got[key] {
				return fmt.Errorf("%q is in two posting lists", key)
			}
			if !want[key] {
				return fmt.Errorf("posting list %q holds %x, which no event has", k, s)
			}
			got[key] = true
		}
		lastPrefix, lastSuffix = bytes.Clone(prefix), bytes.Clone(v[len(v)-suffixLen:])
		return nil
	})
	if err != nil {
		return err
	}
	for key := range want {
		if !got[key] {
			return fmt.Errorf("no posting list holds %x", key)
		}
	}
	return checkEventTemplates(tx)
}

// v7ID is an event id of the form newEventID makes: the time's millisecond first.
func v7ID(at time.Time, rng *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[8:], rng.Uint64())
	binary.BigEndian.PutUint16(b[6:], uint16(rng.Uint32()))
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// allEvents pages through a lookup, pages of max.
func allEvents(t *testing.T, st *Store, q EventQuery, max int) []Event {
	t.Helper()
	q.Max = max
	var out []Event
	for range 10000 {
		page, next, err := st.LookupEvents(context.Background(), q)
		require.NoError(t, err)
		out = append(out, page...)
		if next == "" {
			return out
		}
		q.Cursor = next
	}
	t.Fatal("lookup did not end")
	return nil
}

func eventIDs(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// A random mix of batches (out of order, of one instant, with the clock
// set back, over the cap, past retention), restarts and resets: the posting
// lists and the record templates agree with the events after every step,
// every record reads back as it was recorded, and a lookup by each
// attribute, paged, answers what filtering the whole history answers, in
// its order.
func TestEventPostings_AgreeWithHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	path := filepath.Join(t.TempDir(), "events.db")
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	open := func() *Store {
		st, err := Open(path, WithNow(func() time.Time { return now }))
		require.NoError(t, err)
		return st
	}
	st := open()
	defer func() { st.Close() }()
	accounts := []string{"111111111111", "222222222222"}
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		for _, a := range accounts {
			if err := tx.PutAccount(Account{ID: a, Name: a}); err != nil {
				return err
			}
		}
		return nil
	}))
	names := []string{"GetCallerIdentity", "AssumeRoot", "ListUsers"}
	users := []string{"admin", "root", "alice", ""}
	records := map[string]string{} // by event id
	lim := EventLimits{MaxPerAccount: 300, Retention: 90 * 24 * time.Hour}
	for round := range 60 {
		switch r := rng.IntN(20); {
		case r == 0:
			require.NoError(t, st.Close())
			st = open()
		case r == 1:
			require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
				if err := tx.Clear(); err != nil {
					return err
				}
				for _, a := range accounts {
					if err := tx.PutAccount(Account{ID: a, Name: a}); err != nil {
						return err
					}
				}
				return nil
			}))
		case r == 2:
			now = now.Add(-time.Duration(rng.IntN(3600)) * time.Second) // the clock set back
		case r == 3:
			now = now.Add(100 * 24 * time.Hour) // everything past retention
		}
		var batch []Event
		for range 1 + rng.IntN([]int{3, 40, 700}[rng.IntN(3)]) {
			at := now.Add(time.Duration(rng.IntN(2000)-1000) * time.Millisecond)
			if rng.IntN(4) == 0 && len(batch) > 0 {
				at = batch[len(batch)-1].Time // one instant
			}
			id := v7ID(at, rng)
			if rng.IntN(5) == 0 {
				id = fmt.Sprintf("id-%d-%d", round, len(batch)) // an id that carries no time
			}
			ev := Event{ID: id, Account: accounts[rng.IntN(2)], Region: "us-east-1", Time: at,
				Name: names[rng.IntN(len(names))], Source: "sts.amazonaws.com", ReadOnly: rng.IntN(2) == 0,
				Username: users[rng.IntN(len(users))], AccessKeyID: "AKIA" + strconv.Itoa(rng.IntN(3)), Management: true,
				Record: json.RawMessage(`{"n":` + strconv.Itoa(round) + `}`)}
			if rng.IntN(4) != 0 { // a record with holes, of one of a few shapes
				ev.Record = json.RawMessage(fmt.Sprintf(`{"eventTime":"%s","shape":%d,"requestID":"r-%d","eventID":"%s"}`,
					at.Format(time.RFC3339), rng.IntN(3), rng.Uint32(), []string{id, "other-" + id}[rng.IntN(2)]))
			}
			records[ev.ID] = string(ev.Record)
			if rng.IntN(3) == 0 {
				ev.Resources = []EventResource{{Type: "AWS::S3::Bucket", Name: "b" + strconv.Itoa(rng.IntN(2))}}
				if rng.IntN(2) == 0 { // two of one type (a copy between buckets), or one named twice
					ev.Resources = append(ev.Resources, EventResource{Type: "AWS::S3::Bucket", Name: "b" + strconv.Itoa(rng.IntN(2))})
				}
			}
			batch = append(batch, ev)
		}
		if rng.IntN(3) == 0 {
			require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.JournalEvents(batch[:1]) }))
			batch = batch[1:]
		}
		require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.RecordEvents(batch, lim) }))
		now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
			if err := checkEventPostings(tx); err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			return nil
		}))
		for _, a := range accounts {
			history := allEvents(t, st, EventQuery{Account: a}, 1+rng.IntN(60))
			require.LessOrEqual(t, len(history), lim.MaxPerAccount, "round %d", round)
			for _, e := range history {
				require.Equal(t, records[e.ID], string(e.Record), "round %d", round)
			}
			attr := []string{AttrEventName, AttrUsername, AttrReadOnly, AttrAccessKeyID, AttrResourceName, AttrEventSource, AttrEventID}[rng.IntN(7)]
			var value string
			want := []string{}
			if len(history) > 0 {
				pick := history[rng.IntN(len(history))]
				value = map[string]string{AttrEventName: pick.Name, AttrUsername: pick.Username,
					AttrReadOnly: strconv.FormatBool(pick.ReadOnly), AttrAccessKeyID: pick.AccessKeyID,
					AttrEventSource: pick.Source, AttrEventID: pick.ID, AttrResourceName: "b1"}[attr]
				for _, e := range history {
					match := map[string]bool{AttrEventName: e.Name == value, AttrUsername: e.Username == value,
						AttrReadOnly: strconv.FormatBool(e.ReadOnly) == value, AttrAccessKeyID: e.AccessKeyID == value,
						AttrEventSource: e.Source == value, AttrEventID: e.ID == value,
						AttrResourceName: slices.ContainsFunc(e.Resources, func(r EventResource) bool { return r.Name == value })}[attr]
					if match && value != "" {
						want = append(want, e.ID)
					}
				}
			}
			if value == "" {
				continue
			}
			got := allEvents(t, st, EventQuery{Account: a, Attribute: attr, Value: value}, 1+rng.IntN(60))
			assert.Equal(t, want, eventIDs(got), "round %d: %s = %s in %s", round, attr, value, a)
		}
	}
}

// LookupEvents finds an event by an id that carries its time without any
// index entry, and still finds one whose id carries none.
func TestLookupEvents_ByEventID(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "e.db"))
	require.NoError(t, err)
	defer st.Close()
	at := time.Date(2026, 12, 2, 1, 2, 3, 456789000, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	timed, other := v7ID(at, rng), "not-a-uuid"
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutAccount(Account{ID: "111111111111"}); err != nil {
			return err
		}
		var evs []Event
		for i, id := range []string{timed, other, v7ID(at, rng), v7ID(at.Add(time.Millisecond), rng)} {
			evs = append(evs, Event{ID: id, Account: "111111111111", Time: at.Add(time.Duration(i) * time.Microsecond),
				Name: "X", Source: "sts.amazonaws.com", Management: true, Record: json.RawMessage(`{}`)})
		}
		return tx.RecordEvents(evs, EventLimits{})
	}))
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		assert.Nil(t, tx.btx.Bucket(eventPostingsBucket).Get(append(indexPrefix("111111111111", AttrEventID, timed), 0)))
		return checkEventPostings(tx)
	}))
	for _, id := range []string{timed, other} {
		got := allEvents(t, st, EventQuery{Account: "111111111111", Attribute: AttrEventID, Value: id}, 50)
		assert.Equal(t, []string{id}, eventIDs(got))
	}
	for _, q := range []EventQuery{
		{Account: "111111111111", Attribute: AttrEventID, Value: v7ID(at, rng)},                        // its millisecond, another id
		{Account: "222222222222", Attribute: AttrEventID, Value: timed},                                // another account
		{Account: "111111111111", Attribute: AttrEventID, Value: timed, End: at.Add(-2 * time.Second)}, // outside the range
	} {
		assert.Empty(t, allEvents(t, st, q, 50))
	}
}

// A schema-4 file's history (JSON headers, one index key per event and
// attribute, pending records as JSON) is kept: its posting lists are built
// from its events, its legacy index is dropped, and its records are read
// as they were written.
func TestOpen_MigratesSchema4EventHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.db")
	st, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error { return tx.PutAccount(Account{ID: "111111111111"}) }))
	require.NoError(t, st.Close())
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	var ids []string
	require.NoError(t, db.Update(func(btx *bolt.Tx) error {
		require.NoError(t, btx.DeleteBucket(eventPostingsBucket))
		legacy, err := btx.CreateBucket(legacyEventIndexBucket)
		require.NoError(t, err)
		for i := range 5 {
			ev := Event{ID: fmt.Sprintf("legacy-%d", i), Account: "111111111111", Region: "us-east-1",
				Time: at.Add(time.Duration(i) * time.Second), Name: []string{"A", "B"}[i%2], Source: "iam.amazonaws.com",
				Username: "admin", Management: true}
			ids = append([]string{ev.ID}, ids...)
			head, err := json.Marshal(ev)
			require.NoError(t, err)
			rec := []byte(`{"eventName":"` + ev.Name + `"}`)
			value := append(binary.BigEndian.AppendUint32(nil, uint32(len(head))), append(head, rec...)...)
			suffix := eventSuffix(ev.Time, uint64(i+1))
			require.NoError(t, btx.Bucket(eventsBucket).Put(eventKey(ev.Account, suffix), value))
			require.NoError(t, legacy.Put(append(indexPrefix(ev.Account, AttrEventName, ev.Name), suffix...), nil))
		}
		pending, err := json.Marshal(PendingRecord{Account: "111111111111", Region: "us-east-1", Time: at, Record: json.RawMessage(`{"old":true}`)})
		require.NoError(t, err)
		require.NoError(t, btx.Bucket(pendingRecordsBucket).Put([]byte("arn:trail\x00\x00\x00\x00\x00\x00\x00\x00\x01"), pending))
		return btx.Bucket(metaBucket).Put([]byte("schema"), []byte("4"))
	}))
	require.NoError(t, db.Close())

	st, err = Open(path)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.View(context.Background(), func(tx *Tx) error {
		assert.Nil(t, tx.btx.Bucket(legacyEventIndexBucket))
		assert.Equal(t, strconv.Itoa(schemaVersion), string(tx.btx.Bucket(metaBucket).Get([]byte("schema"))))
		_, v := tx.btx.Bucket(pendingRecordsBucket).Cursor().First()
		p, err := decodePending(v)
		require.NoError(t, err)
		assert.JSONEq(t, `{"old":true}`, string(p.Record))
		assert.True(t, p.Time.Equal(at))
		return checkEventPostings(tx)
	}))
	all := allEvents(t, st, EventQuery{Account: "111111111111"}, 2)
	assert.Equal(t, ids, eventIDs(all))
	assert.JSONEq(t, `{"eventName":"B"}`, string(all[1].Record))
	bs := allEvents(t, st, EventQuery{Account: "111111111111", Attribute: AttrEventName, Value: "B"}, 1)
	assert.Equal(t, []string{"legacy-3", "legacy-1"}, eventIDs(bs))
	byID := allEvents(t, st, EventQuery{Account: "111111111111", Attribute: AttrEventID, Value: "legacy-2"}, 5)
	assert.Equal(t, []string{"legacy-2"}, eventIDs(byID))
	// New events go on top of the migrated ones.
	require.NoError(t, st.Update(context.Background(), func(tx *Tx) error {
		return tx.RecordEvents([]Event{{ID: "new", Account: "111111111111", Time: at.Add(time.Hour), Name: "B",
			Source: "iam.amazonaws.com", Management: true, Record: json.RawMessage(`{}`)}}, EventLimits{})
	}))
	bs = allEvents(t, st, EventQuery{Account: "111111111111", Attribute: AttrEventName, Value: "B"}, 50)
	assert.Equal(t, []string{"new", "legacy-3", "legacy-1"}, eventIDs(bs))
}

// Event encoding round-trips every field, and a damaged value is an error, not a panic.
func TestEventEncoding_RoundTripsAndRefusesDamage(t *testing.T) {
	ev := Event{ID: "e", Account: "111111111111", Region: "eu-west-1", Time: time.Date(2026, 12, 2, 1, 2, 3, 4, time.UTC),
		Name: "N", Source: "s3.amazonaws.com", ReadOnly: true, Username: "root", AccessKeyID: "ASIA1",
		Resources: []EventResource{{Type: "AWS::S3::Bucket", Name: "b", ARN: "arn:aws:s3:::b"}}, Record: json.RawMessage(`{"a":1}`)}
	data, err := encodeEvent(ev)
	require.NoError(t, err)
	got, err := decodeEvent(data, nil)
	require.NoError(t, err)
	assert.Equal(t, ev, got)
	for n := range len(data) - len(ev.Record) {
		_, err := decodeEvent(data[:n], nil)
		assert.Error(t, err, "cut at %d", n)
	}
	p := PendingRecord{Account: "1", Region: "r", Time: ev.Time, Record: ev.Record}
	back, err := decodePending(encodePending(p))
	require.NoError(t, err)
	assert.Equal(t, p, back)
}

// Delivery with nothing queued commits nothing (it runs every few seconds,
// busy or idle): the data file's transaction id does not move.
func TestDeliverTrailRecords_NothingQueuedWritesNothing(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "e.db"))
	require.NoError(t, err)
	defer st.Close()
	txID := func() (id int) {
		require.NoError(t, st.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }))
		return id
	}
	before := txID()
	packed := false
	n, err := st.DeliverTrailRecords(context.Background(), func(Trail, []PendingRecord) ([]Object, error) {
		packed = true
		return nil, nil
	})
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.False(t, packed)
	assert.Equal(t, before, txID(), "a delivery with nothing queued committed a transaction")
}
