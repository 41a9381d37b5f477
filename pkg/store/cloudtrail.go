package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CloudTrail's buckets. Event history is keyed so that LookupEvents pages
// newest first by seeking, never by scanning:
//
//	ct_events         <account> 0 <^time> <^seq>                          → Event
//	ct_event_postings <account> 0 <attribute> 0 <value> 0 <^time> <^seq> → posting list (postings.go)
//	ct_event_counts   <account>                                           → count
//	ct_event_templates <hash>                                             → template (eventtemplates.go)
//
// where ^time and ^seq are big-endian complements (newest sorts first),
// the 16-byte suffix of an event's history key. An EventId is looked up by
// the time its version-7 UUID carries; only ids that carry no time (or
// not the event's) are in the posting lists.
// Trails and the records waiting to be delivered to their buckets:
//
//	ct_trails            <trail ARN>             → Trail
//	ct_trails_by_account <account> 0 <trail ARN> → ""
//	ct_org_trails        <org id> 0 <trail ARN>  → ""
//	ct_pending           <trail ARN> 0 <seq>     → PendingRecord
//	ct_journal           <seq>                   → Event not yet in history
//
// A write's record goes to the journal in the write's own transaction (one
// append to one page, so the write's commit stays as small as it was), and
// RecordEvents moves the journal into history and the trails' queues.
var (
	eventsBucket        = []byte("ct_events")
	eventPostingsBucket = []byte("ct_event_postings")
	// legacyEventIndexBucket is schema 4's index, one key per event and
	// attribute; the migration to schema 5 builds posting lists instead.
	legacyEventIndexBucket = []byte("ct_event_index")
	eventCountsBucket      = []byte("ct_event_counts")
	trailsBucket           = []byte("ct_trails")
	accountTrailsBucket    = []byte("ct_trails_by_account")
	orgTrailsBucket        = []byte("ct_org_trails")
	pendingRecordsBucket   = []byte("ct_pending")
	journalBucket          = []byte("ct_journal")

	cloudTrailBuckets = [][]byte{eventsBucket, eventPostingsBucket, eventCountsBucket, eventTemplatesBucket, trailsBucket,
		accountTrailsBucket, orgTrailsBucket, pendingRecordsBucket, journalBucket}
)

// ErrBadCursor: a LookupEvents cursor that this query did not hand out.
var ErrBadCursor = errors.New("invalid cursor")

// Lookup attributes of event history, as CloudTrail's LookupAttributeKey names them.
const (
	AttrEventID      = "EventId"
	AttrEventName    = "EventName"
	AttrReadOnly     = "ReadOnly"
	AttrUsername     = "Username"
	AttrResourceType = "ResourceType"
	AttrResourceName = "ResourceName"
	AttrEventSource  = "EventSource"
	AttrAccessKeyID  = "AccessKeyId"
)

// EventResource is a resource an event names.
type EventResource struct {
	Type string `json:"type"`
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
}

// Event is one CloudTrail record with the fields event history looks it up by.
type Event struct {
	ID          string          `json:"id"`
	Account     string          `json:"account"` // recipientAccountId
	Region      string          `json:"region"`
	Time        time.Time       `json:"time"`
	Name        string          `json:"name"`
	Source      string          `json:"source"`
	ReadOnly    bool            `json:"read_only"`
	Username    string          `json:"username,omitempty"`
	AccessKeyID string          `json:"access_key_id,omitempty"`
	Resources   []EventResource `json:"resources,omitempty"`
	// Management is false for data events (S3 object-level calls): those
	// reach trails that select them, never event history.
	Management bool `json:"management"`
	// Record is the full CloudTrail record, as JSON.
	Record json.RawMessage `json:"record"`
}

// EventLimits bound event history: records older than Retention are
// dropped, and an account keeps at most MaxPerAccount (oldest dropped first).
type EventLimits struct {
	MaxPerAccount int
	Retention     time.Duration
}

func invUint(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, math.MaxUint64-v) }

// eventSuffix orders events newest first: complemented time, then complemented sequence.
func eventSuffix(t time.Time, seq uint64) []byte {
	return append(invUint(uint64(t.UnixNano())), invUint(seq)...)
}

func eventKey(account string, suffix []byte) []byte {
	return append([]byte(account+"\x00"), suffix...)
}

func indexPrefix(account, attr, value string) []byte {
	return []byte(account + "\x00" + attr + "\x00" + value + "\x00")
}

// indexEntries are the lookup attributes of ev that its posting lists
// hold, one (attribute, value) each: every attribute but an EventId found
// by its time.
func (ev Event) indexEntries() [][2]string { return ev.appendIndexEntries(nil) }

// appendIndexEntries appends indexEntries to out: a batch's events share
// one buffer instead of a slice each.
func (ev Event) appendIndexEntries(out [][2]string) [][2]string {
	first := len(out)
	out = append(out, [2]string{AttrEventName, ev.Name}, [2]string{AttrReadOnly, strconv.FormatBool(ev.ReadOnly)},
		[2]string{AttrEventSource, ev.Source})
	if !idCarriesTime(ev.ID, ev.Time) {
		out = append(out, [2]string{AttrEventID, ev.ID})
	}
	if ev.Username != "" {
		out = append(out, [2]string{AttrUsername, ev.Username})
	}
	if ev.AccessKeyID != "" {
		out = append(out, [2]string{AttrAccessKeyID, ev.AccessKeyID})
	}
	for _, r := range ev.Resources {
		// Once each: two resources of one type are one entry of its list,
		// and a trim counts the entries it removes.
		for _, e := range [...][2]string{{AttrResourceType, r.Type}, {AttrResourceName, r.Name}} {
			if !slices.Contains(out[first:], e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// RecordEvents stores CloudTrail records: each in its account's event
// history (management events) and in the delivery queue of every logging
// trail that selects it. It drops an account's oldest events beyond lim.
// Records of accounts that do not exist are skipped (the owner of a
// cross-account resource may be an account outside the world).
func (tx *Tx) RecordEvents(events []Event, lim EventLimits) error {
	journal := tx.btx.Bucket(journalBucket)
	writes := 0 // the first events: writes' records, from the journal
	if k, _ := journal.Cursor().First(); k != nil {
		var journaled []Event
		c := journal.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			ev, err := decodeEvent(v, nil)
			if err != nil {
				return err
			}
			journaled = append(journaled, ev)
		}
		// Emptied by dropping it whole: one key at a time was a seek and a
		// node rewrite per journaled write.
		if err := tx.btx.DeleteBucket(journalBucket); err != nil {
			return err
		}
		if _, err := tx.btx.CreateBucket(journalBucket); err != nil {
			return err
		}
		events, writes = append(journaled, events...), len(journaled)
	}
	trails := map[string][]Trail{}
	history := make([]historyEntry, 0, len(events))
	seqs := tx.btx.Bucket(eventsBucket)
	for i := range events {
		ev := &events[i]
		ts, seen := trails[ev.Account]
		if !seen {
			if !tx.AccountExists(ev.Account) {
				trails[ev.Account] = nil
				continue
			}
			var err error
			if ts, err = tx.trailsFor(ev.Account); err != nil {
				return err
			}
			if ts == nil {
				ts = []Trail{}
			}
			trails[ev.Account] = ts
		} else if ts == nil {
			continue
		}
		if err := tx.queueForTrails(*ev, ts); err != nil {
			return err
		}
		if ev.Management {
			// The sequence is taken in the batch's order, so that events of
			// one instant keep it.
			seq, _ := seqs.NextSequence()
			history = append(history, historyEntry{ev: ev, suffix: eventSuffix(ev.Time, seq), write: i < writes})
		}
	}
	// Put in key order. bbolt splits a node only at commit, so a batch's
	// keys pile into a few nodes, and a key put before the batch's others
	// in its node moves them all: quadratic in the batch. Put in order,
	// each key lands after the last one. The sequence numbers were taken
	// in the batch's order, so events of one instant keep it.
	slices.SortFunc(history, func(a, b historyEntry) int {
		if c := strings.Compare(a.ev.Account, b.ev.Account); c != 0 {
			return c
		}
		return bytes.Compare(a.suffix, b.suffix)
	})
	templates := tx.newTemplateBatch()
	for i := 0; i < len(history); {
		j := i + 1
		for j < len(history) && history[j].ev.Account == history[i].ev.Account {
			j++
		}
		// The posting lists go first, so that an event the limits drop at
		// once takes its entries with it.
		if err := tx.addAccountPostings(history[i:j]); err != nil {
			return err
		}
		if err := tx.addToHistory(history[i:j], lim, templates); err != nil {
			return err
		}
		i = j
	}
	return templates.commit()
}

// addAccountPostings adds entries, events of one account in key order, to
// the posting lists of their attributes: one list update per attribute
// value of the batch.
func (tx *Tx) addAccountPostings(entries []historyEntry) error {
	account := entries[0].ev.Account
	// Two passes over the events' entries: the first counts each list's
	// suffixes, so that the second fills slices of their final size (grown
	// by appends, they were a fifth of what a batch allocated).
	var buf [][2]string
	counts := map[[2]string]int{}
	var order [][2]string
	for _, h := range entries {
		buf = h.ev.appendIndexEntries(buf[:0])
		for _, e := range buf {
			if counts[e] == 0 {
				order = append(order, e)
			}
			counts[e]++
		}
	}
	lists := make(map[[2]string][][]byte, len(order))
	for _, e := range order {
		lists[e] = make([][]byte, 0, counts[e])
	}
	for _, h := range entries {
		buf = h.ev.appendIndexEntries(buf[:0])
		for _, e := range buf {
			lists[e] = append(lists[e], h.suffix) // in key order, as entries are
		}
	}
	slices.SortFunc(order, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	postings := tx.btx.Bucket(eventPostingsBucket)
	postings.FillPercent = historyFillPercent
	for _, e := range order {
		if err := addPostings(postings, indexPrefix(account, e[0], e[1]), lists[e]); err != nil {
			return err
		}
	}
	return nil
}

// rebuildEventPostings builds event history's posting lists from its
// events: the migration to schema 5, which replaced schema 4's index of
// one key per event and attribute.
func (tx *Tx) rebuildEventPostings() error {
	for _, name := range [][]byte{legacyEventIndexBucket, eventPostingsBucket} {
		if tx.btx.Bucket(name) != nil {
			if err := tx.btx.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	if _, err := tx.btx.CreateBucket(eventPostingsBucket); err != nil {
		return err
	}
	var batch []historyEntry
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := tx.addAccountPostings(batch)
		batch = batch[:0]
		return err
	}
	err := tx.btx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
		account, suffix, ok := bytes.Cut(k, []byte{0})
		if !ok || len(suffix) != suffixLen {
			return fmt.Errorf("event history key %q", k)
		}
		ev, _, err := decodeEventHeader(v)
		if err != nil {
			return err
		}
		if ev.Account != string(account) {
			return fmt.Errorf("event %s in the history of %s", ev.ID, account)
		}
		if len(batch) > 0 && batch[0].ev.Account != ev.Account {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, historyEntry{ev: &ev, suffix: bytes.Clone(suffix)})
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// historyFillPercent is how full bbolt fills event history's pages when it
// splits them.
const historyFillPercent = 0.9

// historyEntry is an event of a RecordEvents batch and its history key's
// suffix; write: a write's record, kept whole, for each carries what its
// write made (AssumeRoot's credentials, a new user's id) and seldom
// repeats another.
type historyEntry struct {
	ev     *Event
	suffix []byte
	write  bool
}

// JournalEvents commits records with the transaction they describe; the
// next RecordEvents puts them in history.
func (tx *Tx) JournalEvents(events []Event) error {
	journal := tx.btx.Bucket(journalBucket)
	journal.FillPercent = historyFillPercent // appended to only, then dropped whole
	for _, ev := range events {
		data, err := encodeEvent(ev)
		if err != nil {
			return err
		}
		seq, _ := journal.NextSequence()
		if err := journal.Put(binary.BigEndian.AppendUint64(nil, seq), data); err != nil {
			return err
		}
	}
	return nil
}

// queueForTrails queues ev for delivery by every trail of trails that selects it.
func (tx *Tx) queueForTrails(ev Event, trails []Trail) error {
	for _, t := range trails {
		if !t.Wants(ev) {
			continue
		}
		b := tx.btx.Bucket(pendingRecordsBucket)
		seq, _ := b.NextSequence()
		rec := encodePending(PendingRecord{Account: ev.Account, Region: ev.Region, Time: ev.Time, Record: ev.Record})
		if err := b.Put(binary.BigEndian.AppendUint64([]byte(t.ARN+"\x00"), seq), rec); err != nil {
			return err
		}
	}
	return nil
}

// An event is stored as a format byte, its fields, each string with its
// length before it, and then its record: as it is, already JSON (building
// a record's header as JSON cost more than the record's own put), or as
// its template's key and the holes' values (eventtemplates.go).
const (
	eventFormat          = 1
	templatedEventFormat = 2
)

func encodeEvent(ev Event) ([]byte, error) {
	out := appendEventHeader(make([]byte, 0, eventHeaderSize(ev)+len(ev.Record)), eventFormat, ev)
	return append(out, ev.Record...), nil
}

// encodeTemplatedEvent stores ev by a reference to its record's template.
func encodeTemplatedEvent(ev Event, key templateKey, values [len(holeFields)][]byte) []byte {
	n := eventHeaderSize(ev) + len(key)
	for _, v := range values {
		n += 2 + len(v)
	}
	out := append(appendEventHeader(make([]byte, 0, n), templatedEventFormat, ev), key[:]...)
	return appendHoleValues(out, ev.ID, values)
}

func eventHeaderSize(ev Event) int {
	n := 32 + len(ev.ID) + len(ev.Account) + len(ev.Region) + len(ev.Name) + len(ev.Source) + len(ev.Username) +
		len(ev.AccessKeyID)
	for _, r := range ev.Resources {
		n += 6 + len(r.Type) + len(r.Name) + len(r.ARN)
	}
	return n
}

func appendEventHeader(out []byte, format byte, ev Event) []byte {
	out = append(out, format)
	for _, f := range []string{ev.ID, ev.Account, ev.Region, ev.Name, ev.Source, ev.Username, ev.AccessKeyID} {
		out = appendString(out, f)
	}
	out = binary.BigEndian.AppendUint64(out, uint64(ev.Time.UnixNano()))
	var flags byte
	if ev.ReadOnly {
		flags |= 1
	}
	if ev.Management {
		flags |= 2
	}
	out = append(out, flags)
	out = binary.AppendUvarint(out, uint64(len(ev.Resources)))
	for _, r := range ev.Resources {
		out = appendString(appendString(appendString(out, r.Type), r.Name), r.ARN)
	}
	return out
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// fieldReader reads what encodeEvent wrote; the first failure sticks.
type fieldReader struct {
	data []byte
	bad  bool
}

func (r *fieldReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.bad, r.data = true, nil
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *fieldReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.data)) {
		r.bad, r.data = true, nil
		return ""
	}
	s := string(r.data[:n])
	r.data = r.data[n:]
	return s
}

func (r *fieldReader) bytes(n int) []byte {
	if n < 0 || n > len(r.data) {
		r.bad, r.data = true, nil
		return make([]byte, max(n, 0))
	}
	b := r.data[:n]
	r.data = r.data[n:]
	return b
}

// storedRecord is what a history value holds of its event's record: the
// record itself (in the value), or its template's key and the holes' values.
type storedRecord struct {
	record    []byte
	templated bool
	key       templateKey
	values    []byte
}

// decodeEvent decodes a stored event with its record; templates resolves
// templated records (nil where none can be: the journal's).
func decodeEvent(data []byte, templates *templateReader) (Event, error) {
	ev, stored, err := decodeEventHeader(data)
	if err != nil {
		return Event{}, err
	}
	if !stored.templated {
		ev.Record = append(json.RawMessage(nil), stored.record...)
		return ev, nil
	}
	if templates == nil {
		return Event{}, errors.New("decode event: a template where none is kept")
	}
	shape, err := templates.shape(stored.key)
	if err != nil {
		return Event{}, err
	}
	r := &fieldReader{data: stored.values}
	values := readHoleValues(r, ev.ID)
	if r.bad || len(r.data) != 0 {
		return Event{}, errors.New("decode event: hole values")
	}
	if ev.Record, err = joinRecord(shape, values); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// decodeEventHeader decodes every field but the record, and returns what
// the value holds of the record (in data) beside: a trim reads the
// dropped events for their index entries and templates only, and copying
// each record was a tenth of its cost.
func decodeEventHeader(data []byte) (Event, storedRecord, error) {
	if len(data) > 0 && data[0] == 0 {
		ev, err := decodeLegacyEvent(data)
		return ev, storedRecord{record: ev.Record}, err
	}
	var ev Event
	if len(data) == 0 || (data[0] != eventFormat && data[0] != templatedEventFormat) {
		return ev, storedRecord{}, errors.New("decode event: unknown format")
	}
	r := &fieldReader{data: data[1:]}
	for _, f := range []*string{&ev.ID, &ev.Account, &ev.Region, &ev.Name, &ev.Source, &ev.Username, &ev.AccessKeyID} {
		*f = r.string()
	}
	ev.Time = time.Unix(0, int64(binary.BigEndian.Uint64(r.bytes(8)))).UTC()
	flags := r.bytes(1)[0]
	ev.ReadOnly, ev.Management = flags&1 != 0, flags&2 != 0
	n := r.uvarint()
	if n > uint64(len(r.data)) {
		r.bad = true
	}
	for i := uint64(0); i < n && !r.bad; i++ {
		ev.Resources = append(ev.Resources, EventResource{Type: r.string(), Name: r.string(), ARN: r.string()})
	}
	var stored storedRecord
	if data[0] == templatedEventFormat {
		stored.templated = true
		stored.key = templateKey(r.bytes(len(stored.key)))
		stored.values = r.data
	} else {
		stored.record = r.data
	}
	if r.bad {
		return Event{}, storedRecord{}, errors.New("decode event: truncated")
	}
	return ev, stored, nil
}

// decodeLegacyEvent reads an event of schema 4: a 4-byte header length,
// the header (every field but the record) as JSON, then the record.
func decodeLegacyEvent(data []byte) (Event, error) {
	var ev Event
	if len(data) < 4 || int(binary.BigEndian.Uint32(data)) > len(data)-4 {
		return ev, errors.New("decode event: truncated")
	}
	n := binary.BigEndian.Uint32(data)
	if err := json.Unmarshal(data[4:4+n], &ev); err != nil {
		return ev, fmt.Errorf("decode event: %w", err)
	}
	ev.Record = append(json.RawMessage(nil), data[4+n:]...)
	return ev, nil
}

// eventIDMillis is the time, in Unix milliseconds, that a version-7 UUID
// event id carries (newEventID's).
func eventIDMillis(id string) (int64, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return 0, false
	}
	ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(ms), true
}

// idCarriesTime says whether id carries the millisecond of t, so that
// LookupEvents finds it by time.
func idCarriesTime(id string, t time.Time) bool {
	ms, ok := eventIDMillis(id)
	return ok && ms == t.UnixMilli()
}

// suffixTime is the time an event key's suffix encodes.
func suffixTime(suffix []byte) time.Time {
	return time.Unix(0, int64(math.MaxUint64-binary.BigEndian.Uint64(suffix[:8]))).UTC()
}

// addToHistory puts entries, events of one account whose index entries
// are in, in its history and then drops the account's oldest events beyond
// lim: as if each had been added alone, for the oldest go first either way,
// but with one count and one trim per account and batch.
func (tx *Tx) addToHistory(entries []historyEntry, lim EventLimits, templates *templateBatch) error {
	events := tx.btx.Bucket(eventsBucket)
	// History is written a batch at a time before the previous batches,
	// and its pages are not written again but to drop their events: filled
	// to bbolt's default half, they doubled the file and the pages each
	// commit writes.
	events.FillPercent = historyFillPercent
	account := entries[0].ev.Account
	// Every record's shape is counted before any is stored, so that the
	// first of a batch's shared shape is stored by reference too.
	type split struct {
		use    *templateUse
		values [len(holeFields)][]byte
	}
	splits := make([]split, len(entries))
	for i, h := range entries {
		if !h.write {
			splits[i].use, splits[i].values = templates.use(h.ev.Record)
		}
	}
	for i, h := range entries {
		var data []byte
		if u := splits[i].use; u != nil && templates.refer(u) {
			data = encodeTemplatedEvent(*h.ev, u.key, splits[i].values)
		} else {
			var err error
			if data, err = encodeEvent(*h.ev); err != nil {
				return err
			}
		}
		if err := events.Put(eventKey(account, h.suffix), data); err != nil {
			return err
		}
	}
	counts := tx.btx.Bucket(eventCountsBucket)
	n := uint64(len(entries))
	if v := counts.Get([]byte(account)); len(v) == 8 {
		n += binary.BigEndian.Uint64(v)
	}
	// The dropped events' suffixes (one set: a suffix names one event of the
	// account; at the cap a batch drops as many as it adds, and the set is
	// sized for them), and how many of them each posting list holds.
	var overCap uint64
	if lim.MaxPerAccount > 0 && n > uint64(lim.MaxPerAccount) {
		overCap = min(n-uint64(lim.MaxPerAccount), uint64(len(entries)))
	}
	dropped := make(map[[suffixLen]byte]bool, overCap)
	lists := map[[2]string]int{}
	// Drop the oldest while over the cap or past retention: the oldest is
	// the last key of the account, one seek away, and the walk goes on to
	// newer ones from there, deleting each under the cursor (a Delete by
	// key would search from the root again).
	cutoff := tx.now.Add(-lim.Retention)
	prefix := []byte(account + "\x00")
	var entryBuf [][2]string
	c := events.Cursor()
	k, v := seekBefore(c, []byte(account+"\x01"))
	for ; n > 0 && k != nil && bytes.HasPrefix(k, prefix); k, v = cursorPrev(c, k) {
		oldSuffix := k[len(prefix):]
		over := lim.MaxPerAccount > 0 && n > uint64(lim.MaxPerAccount)
		expired := lim.Retention > 0 && suffixTime(oldSuffix).Before(cutoff)
		if !over && !expired {
			break
		}
		old, stored, err := decodeEventHeader(v)
		if err != nil {
			return err
		}
		if stored.templated {
			templates.drop(stored.key)
		}
		entryBuf = old.appendIndexEntries(entryBuf[:0])
		for _, e := range entryBuf {
			lists[e]++
		}
		dropped[[suffixLen]byte(oldSuffix)] = true
		// Prev after a Delete is the key before the deleted one: the
		// cursor's index stays where it was.
		if err := c.Delete(); err != nil {
			return err
		}
		n--
	}
	postings := tx.btx.Bucket(eventPostingsBucket)
	for e, count := range lists {
		if err := removePostings(postings, indexPrefix(account, e[0], e[1]), dropped, count); err != nil {
			return err
		}
	}
	return counts.Put([]byte(account), binary.BigEndian.AppendUint64(nil, n))
}

// EventQuery is one page of LookupEvents in an account: events with
// Attribute = Value (none when Attribute is empty) between Start and End,
// newest first, at most Max, from Cursor (a previous page's Next).
type EventQuery struct {
	Account          string
	Attribute, Value string
	Start, End       time.Time
	Max              int
	Cursor           string
}

// LookupEvents returns a page of event history and the cursor of the next
// page ("" at the end); ErrBadCursor when the cursor is not this query's.
func (s *Store) LookupEvents(ctx context.Context, q EventQuery) ([]Event, string, error) {
	var out []Event
	var next string
	err := s.View(ctx, func(tx *Tx) error {
		prefix := []byte(q.Account + "\x00")
		if q.Attribute != "" {
			prefix = indexPrefix(q.Account, q.Attribute, q.Value)
		}
		// Records show whole seconds: Start and End take in the whole second they fall in.
		var from []byte
		if !q.End.IsZero() {
			from = eventSuffix(q.End.Truncate(time.Second).Add(time.Second-1), math.MaxUint64)
		}
		oldest := q.Start.Truncate(time.Second)
		if q.Cursor != "" {
			raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
			if err != nil || !bytes.HasPrefix(raw, prefix) || len(raw) != len(prefix)+suffixLen {
				return ErrBadCursor
			}
			from = raw[len(prefix):]
		}
		events := tx.btx.Bucket(eventsBucket)
		templates := tx.templateReader()
		var err error
		// take adds the event at suffix to the page; false ends the page.
		take := func(suffix []byte, data []byte) bool {
			if from != nil && bytes.Compare(suffix, from) < 0 {
				return true // newer than End
			}
			if !q.Start.IsZero() && suffixTime(suffix).Before(oldest) {
				return false
			}
			if len(out) == q.Max {
				next = base64.RawURLEncoding.EncodeToString(append(bytes.Clone(prefix), suffix...))
				return false
			}
			if data == nil {
				if data = events.Get(eventKey(q.Account, suffix)); data == nil {
					return true
				}
			}
			var ev Event
			if ev, err = decodeEvent(data, templates); err != nil {
				return false
			}
			out = append(out, ev)
			return true
		}
		switch q.Attribute {
		case "":
			c := events.Cursor()
			for k, v := c.Seek(append(bytes.Clone(prefix), from...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if !take(k[len(prefix):], v) {
					break
				}
			}
		case AttrEventID:
			// An id is one event: no page follows it.
			if ms, ok := eventIDMillis(q.Value); ok {
				tx.eventsOfMillisecond(q.Account, ms, func(suffix, data []byte) bool {
					if ev, _, derr := decodeEventHeader(data); derr != nil || ev.ID != q.Value {
						err = derr
						return derr == nil
					}
					take(suffix, data)
					return false
				})
			}
			if len(out) == 0 && err == nil {
				postingsFrom(tx.btx.Bucket(eventPostingsBucket), prefix, from, func(suffix []byte) bool { return take(suffix, nil) })
			}
		default:
			postingsFrom(tx.btx.Bucket(eventPostingsBucket), prefix, from, func(suffix []byte) bool { return take(suffix, nil) })
		}
		return err
	})
	return out, next, err
}

// eventsOfMillisecond calls yield with the account's events of Unix
// millisecond ms, newest first, until it returns false.
func (tx *Tx) eventsOfMillisecond(account string, ms int64, yield func(suffix, data []byte) bool) {
	prefix := []byte(account + "\x00")
	newest := time.UnixMilli(ms).Add(time.Millisecond - 1)
	oldest := time.UnixMilli(ms)
	c := tx.btx.Bucket(eventsBucket).Cursor()
	for k, v := c.Seek(eventKey(account, eventSuffix(newest, math.MaxUint64))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		suffix := k[len(prefix):]
		if suffixTime(suffix).Before(oldest) || !yield(suffix, v) {
			return
		}
	}
}

// --- Trails ---

// Trail is a CloudTrail trail: which events it selects and where it delivers them.
type Trail struct {
	ARN                        string          `json:"arn"`
	Name                       string          `json:"name"`
	Account                    string          `json:"account"`
	HomeRegion                 string          `json:"home_region"`
	S3Bucket                   string          `json:"s3_bucket"`
	S3KeyPrefix                string          `json:"s3_key_prefix,omitempty"`
	MultiRegion                bool            `json:"multi_region,omitempty"`
	IncludeGlobalServiceEvents bool            `json:"include_global_service_events,omitempty"`
	LogFileValidation          bool            `json:"log_file_validation,omitempty"`
	OrganizationID             string          `json:"organization_id,omitempty"` // set for organization trails
	Selectors                  []EventSelector `json:"selectors,omitempty"`       // nil: every management event
	Logging                    bool            `json:"logging,omitempty"`
	CreatedAt                  time.Time       `json:"created_at"`
	StartedAt                  time.Time       `json:"started_at,omitempty"`
	StoppedAt                  time.Time       `json:"stopped_at,omitempty"`
	LatestDelivery             time.Time       `json:"latest_delivery,omitempty"`
	LatestDeliveryError        string          `json:"latest_delivery_error,omitempty"`
}

// EventSelector is one of a trail's basic event selectors.
type EventSelector struct {
	ReadWriteType           string         `json:"read_write_type"` // All, ReadOnly, WriteOnly
	IncludeManagementEvents bool           `json:"include_management_events"`
	DataResources           []DataResource `json:"data_resources,omitempty"`
	ExcludeSources          []string       `json:"exclude_sources,omitempty"`
}

// DataResource selects data events of a resource type (AWS::S3::Object)
// whose resource ARN starts with one of Values ("arn:aws:s3" for all).
type DataResource struct {
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

// DefaultEventSelectors are a new trail's: every management event, no data events.
func DefaultEventSelectors() []EventSelector {
	return []EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}
}

// EventSelectors are the trail's selectors, the default when it has none set.
func (t Trail) EventSelectors() []EventSelector {
	if t.Selectors == nil {
		return DefaultEventSelectors()
	}
	return t.Selectors
}

// Wants reports whether the logging trail delivers ev.
func (t Trail) Wants(ev Event) bool {
	if !t.Logging || (!t.MultiRegion && ev.Region != t.HomeRegion) {
		return false
	}
	for _, sel := range t.EventSelectors() {
		rw := sel.ReadWriteType == "" || sel.ReadWriteType == "All" ||
			(sel.ReadWriteType == "ReadOnly") == ev.ReadOnly
		if !rw {
			continue
		}
		if ev.Management {
			excluded := false
			for _, src := range sel.ExcludeSources {
				excluded = excluded || src == ev.Source
			}
			if sel.IncludeManagementEvents && !excluded {
				return true
			}
			continue
		}
		for _, dr := range sel.DataResources {
			for _, r := range ev.Resources {
				if r.Type != dr.Type {
					continue
				}
				for _, v := range dr.Values {
					if v == "arn:aws:s3" || strings.HasPrefix(r.ARN, v) {
						return true
					}
				}
			}
		}
	}
	return false
}

// Trail returns the trail with the ARN.
func (tx *Tx) Trail(arn string) (Trail, error) {
	var t Trail
	if err := tx.get(trailsBucket, arn, &t); err != nil {
		return Trail{}, fmt.Errorf("trail %s: %w", arn, err)
	}
	return t, nil
}

// PutTrail creates or replaces a trail and its account and organization index entries.
func (tx *Tx) PutTrail(t Trail) error {
	if old, err := tx.Trail(t.ARN); err == nil && old.OrganizationID != "" && old.OrganizationID != t.OrganizationID {
		if err := tx.btx.Bucket(orgTrailsBucket).Delete([]byte(old.OrganizationID + "\x00" + t.ARN)); err != nil {
			return err
		}
	}
	if err := tx.put(trailsBucket, t.ARN, t); err != nil {
		return err
	}
	if err := tx.btx.Bucket(accountTrailsBucket).Put([]byte(t.Account+"\x00"+t.ARN), nil); err != nil {
		return err
	}
	if t.OrganizationID != "" {
		return tx.btx.Bucket(orgTrailsBucket).Put([]byte(t.OrganizationID+"\x00"+t.ARN), nil)
	}
	return nil
}

// DeleteTrail deletes a trail with its undelivered records; ErrNotFound when absent.
func (tx *Tx) DeleteTrail(arn string) error {
	t, err := tx.Trail(arn)
	if err != nil {
		return err
	}
	if err := tx.delete(trailsBucket, arn); err != nil {
		return err
	}
	if err := tx.btx.Bucket(accountTrailsBucket).Delete([]byte(t.Account + "\x00" + arn)); err != nil {
		return err
	}
	if t.OrganizationID != "" {
		if err := tx.btx.Bucket(orgTrailsBucket).Delete([]byte(t.OrganizationID + "\x00" + arn)); err != nil {
			return err
		}
	}
	return deletePrefix(tx.btx.Bucket(pendingRecordsBucket), []byte(arn+"\x00"))
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// AccountTrails lists the trails an account owns, by ARN.
func (tx *Tx) AccountTrails(account string) ([]Trail, error) {
	return tx.indexedTrails(accountTrailsBucket, account)
}

func (tx *Tx) indexedTrails(bucket []byte, owner string) ([]Trail, error) {
	var out []Trail
	prefix := []byte(owner + "\x00")
	c := tx.btx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		t, err := tx.Trail(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// trailsFor lists the trails that may receive an account's events: its own
// and its organization's organization trails.
func (tx *Tx) trailsFor(account string) ([]Trail, error) {
	own, err := tx.AccountTrails(account)
	if err != nil {
		return nil, err
	}
	a, err := tx.Account(account)
	if errors.Is(err, ErrNotFound) || (err == nil && a.OrganizationID == "") {
		return own, nil
	} else if err != nil {
		return nil, err
	}
	org, err := tx.indexedTrails(orgTrailsBucket, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	for _, t := range org {
		if t.Account != account {
			own = append(own, t)
		}
	}
	return own, nil
}

// PendingRecord is a record waiting to be delivered to a trail's bucket.
type PendingRecord struct {
	Account string          `json:"account"`
	Region  string          `json:"region"`
	Time    time.Time       `json:"time"`
	Record  json.RawMessage `json:"record"`
}

// encodePending stores a record for delivery as encodeEvent does its fields.
func encodePending(r PendingRecord) []byte {
	out := appendString(appendString(append(make([]byte, 0, 32+len(r.Account)+len(r.Region)+len(r.Record)), eventFormat),
		r.Account), r.Region)
	out = binary.BigEndian.AppendUint64(out, uint64(r.Time.UnixNano()))
	return append(out, r.Record...)
}

// decodePending reads encodePending's form, or schema 4's JSON.
func decodePending(data []byte) (PendingRecord, error) {
	var p PendingRecord
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &p); err != nil {
			return p, fmt.Errorf("decode pending record: %w", err)
		}
		return p, nil
	}
	if len(data) == 0 || data[0] != eventFormat {
		return p, errors.New("decode pending record: unknown format")
	}
	r := &fieldReader{data: data[1:]}
	p.Account, p.Region = r.string(), r.string()
	p.Time = time.Unix(0, int64(binary.BigEndian.Uint64(r.bytes(8)))).UTC()
	if r.bad {
		return PendingRecord{}, errors.New("decode pending record: truncated")
	}
	p.Record = append(json.RawMessage(nil), r.data...)
	return p, nil
}

// DeliverTrailRecords hands every trail's waiting records to pack, which
// returns the log-file objects to write, and writes them into the trail's
// bucket, in one transaction. Delivered records leave the queue; so do the
// records of a trail whose bucket is gone (the failure is kept in the
// trail's LatestDeliveryError), so that the queue cannot grow without
// bound. It returns how many objects it wrote.
func (s *Store) DeliverTrailRecords(ctx context.Context, pack func(Trail, []PendingRecord) ([]Object, error)) (int, error) {
	// Looked at first with a read: an idle emulator would otherwise commit
	// an empty transaction, two fsyncs, at every delivery interval.
	queued := false
	if err := s.View(ctx, func(tx *Tx) error {
		k, _ := tx.btx.Bucket(pendingRecordsBucket).Cursor().First()
		queued = k != nil
		return nil
	}); err != nil || !queued {
		return 0, err
	}
	written := 0
	err := s.Update(ctx, func(tx *Tx) error {
		written = 0
		pending := tx.btx.Bucket(pendingRecordsBucket)
		for {
			k, _ := pending.Cursor().First()
			if k == nil {
				return nil
			}
			arn, _, _ := bytes.Cut(k, []byte{0})
			prefix := append(append([]byte(nil), arn...), 0)
			var recs []PendingRecord
			c := pending.Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				r, err := decodePending(v)
				if err != nil {
					return err
				}
				recs = append(recs, r)
			}
			if err := deletePrefix(pending, prefix); err != nil {
				return err
			}
			t, err := tx.Trail(string(arn))
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			objects, err := pack(t, recs)
			if err != nil {
				return err
			}
			t.LatestDeliveryError = ""
			for _, o := range objects {
				if _, err := tx.PutObject(o); errors.Is(err, ErrNotFound) {
					t.LatestDeliveryError = "NoSuchBucket"
					continue
				} else if err != nil {
					return err
				}
				written++
			}
			if t.LatestDeliveryError == "" {
				t.LatestDelivery = tx.now
			}
			if err := tx.PutTrail(t); err != nil {
				return err
			}
		}
	})
	return written, err
}

// OrganizationTrails lists an organization's organization trails, by ARN.
func (tx *Tx) OrganizationTrails(orgID string) ([]Trail, error) {
	return tx.indexedTrails(orgTrailsBucket, orgID)
}
