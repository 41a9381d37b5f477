package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Event history stores most reads' records as a reference to a template:
// one caller's calls of one operation differ only in their eventTime,
// requestID and eventID, and the ~800 bytes they share were most of what
// each record cost to put, commit and trim (docs/performance.md, perf8).
//
//	ct_event_templates <hash> → references | shape
//
// A record's shape is the record with its holes' values cut out, and the
// holes' offsets: the bytes two records share exactly when they differ in
// those values alone. Its hash (8 bytes, two CRC-32s of the shape) keys
// it; a template counts the history events that refer to it and goes when
// the last of them is dropped. A record is kept whole (eventFormat) when
// it is a write's (historyEntry.write), when it has no holes, when its
// shape is neither in the store nor shared in its batch (one written per
// record would cost more than it saves), or when its hash names another
// shape.
var eventTemplatesBucket = []byte("ct_event_templates")

// holeFields name the values cut out of a record for its shape: each
// record's own. An eventID equal to the event's id is not stored again.
var holeFields = [...][]byte{[]byte(`"eventTime":"`), []byte(`"requestID":"`), []byte(`"eventID":"`)}

type templateKey [8]byte

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func templateKeyOf(shape []byte) templateKey {
	var k templateKey
	binary.BigEndian.PutUint32(k[:4], crc32.Checksum(shape, castagnoli))
	binary.BigEndian.PutUint32(k[4:], crc32.ChecksumIEEE(shape))
	return k
}

// splitRecord appends rec's shape to shape and returns it with the holes'
// values (slices of rec, in the record's order); false when rec lacks a
// hole. Values end at the next quote: exact splicing, whatever they hold.
func splitRecord(rec, shape []byte) ([]byte, [len(holeFields)][]byte, bool) {
	var values [len(holeFields)][]byte
	var starts [len(holeFields)]int
	from := 0
	for i, field := range holeFields {
		// The recorder writes the holes in this order, each field's search
		// going on from the last value: once through the record, not three times.
		at := bytes.Index(rec[from:], field)
		if at >= 0 {
			at += from
		} else if at = bytes.Index(rec[:from], field); at < 0 {
			return shape, values, false
		}
		start := at + len(field)
		end := bytes.IndexByte(rec[start:], '"')
		if end < 0 {
			return shape, values, false
		}
		starts[i], values[i] = start, rec[start:start+end]
		from = start + end
	}
	order := [len(holeFields)]int{0, 1, 2}
	slices.SortFunc(order[:], func(a, b int) int { return starts[a] - starts[b] })
	shape = binary.AppendUvarint(shape, uint64(len(holeFields)))
	cut := 0 // bytes cut before the hole
	for _, i := range order {
		shape = binary.AppendUvarint(shape, uint64(starts[i]-cut))
		cut += len(values[i])
	}
	pos := 0
	for _, i := range order {
		shape = append(shape, rec[pos:starts[i]]...)
		pos = starts[i] + len(values[i])
	}
	sorted := [len(holeFields)][]byte{}
	for j, i := range order {
		sorted[j] = values[i]
	}
	return append(shape, rec[pos:]...), sorted, true
}

// joinRecord rebuilds the record of shape with the holes' values, in the
// record's order.
func joinRecord(shape []byte, values [][]byte) ([]byte, error) {
	r := &fieldReader{data: shape}
	n := r.uvarint()
	if r.bad || n != uint64(len(values)) {
		return nil, errors.New("decode event template: holes")
	}
	offsets := make([]int, n)
	for i := range offsets {
		offsets[i] = int(r.uvarint())
	}
	body := r.data
	size := len(body)
	for _, v := range values {
		size += len(v)
	}
	out := make([]byte, 0, size)
	pos := 0
	for i, off := range offsets {
		if r.bad || off < pos || off > len(body) {
			return nil, errors.New("decode event template: offsets")
		}
		out = append(append(out, body[pos:off]...), values[i]...)
		pos = off
	}
	return append(out, body[pos:]...), nil
}

// appendHoleValues appends the holes' values of an event with id id: an
// eventID equal to id as an empty mark (0), any other with its length plus one.
func appendHoleValues(out []byte, id string, values [len(holeFields)][]byte) []byte {
	for _, v := range values {
		if string(v) == id {
			out = append(out, 0)
			continue
		}
		out = append(binary.AppendUvarint(out, uint64(len(v))+1), v...)
	}
	return out
}

func readHoleValues(r *fieldReader, id string) [][]byte {
	values := make([][]byte, len(holeFields))
	for i := range values {
		n := r.uvarint()
		if n == 0 {
			values[i] = []byte(id)
			continue
		}
		values[i] = r.bytes(int(n - 1))
	}
	return values
}

// templateUse is a shape of a RecordEvents batch: how many of its events
// have it, and what the store says of its key.
type templateUse struct {
	key    templateKey
	first  []byte // the first record of the shape
	shape  []byte // cut from first once needed: a record alone in its batch mostly never needs it
	count  int
	looked bool // the bucket consulted
	stored bool // the bucket holds this shape under key
	clash  bool // the bucket holds another shape under key
}

func (u *templateUse) shapeBytes() []byte {
	if u.shape == nil {
		u.shape, _, _ = splitRecord(u.first, nil)
	}
	return u.shape
}

// templateBatch is the template work of one RecordEvents call: the
// batch's shapes by key, and the change in references of each key,
// applied once at the end.
type templateBatch struct {
	bucket *bolt.Bucket
	uses   map[templateKey]*templateUse
	refs   map[templateKey]int
	buf    []byte
}

func (tx *Tx) newTemplateBatch() *templateBatch {
	return &templateBatch{bucket: tx.btx.Bucket(eventTemplatesBucket), uses: map[templateKey]*templateUse{},
		refs: map[templateKey]int{}}
}

// use returns the use of rec's shape, counted once more, with the holes'
// values; nil when rec has no holes, or its shape's hash is another's of
// the batch.
func (b *templateBatch) use(rec []byte) (*templateUse, [len(holeFields)][]byte) {
	shape, values, ok := splitRecord(rec, b.buf[:0])
	b.buf = shape
	if !ok {
		return nil, values
	}
	key := templateKeyOf(shape)
	u := b.uses[key]
	if u == nil {
		u = &templateUse{key: key, first: rec}
		b.uses[key] = u
	} else if !bytes.Equal(u.shapeBytes(), shape) {
		return nil, values
	}
	u.count++
	return u, values
}

// refer says whether an event of u's shape is stored by reference, and
// counts the reference if so.
func (b *templateBatch) refer(u *templateUse) bool {
	if !u.looked {
		u.looked = true
		if v := b.bucket.Get(u.key[:]); v != nil {
			u.stored = len(v) >= 8 && bytes.Equal(v[8:], u.shapeBytes())
			u.clash = !u.stored
		}
	}
	if u.clash || (!u.stored && u.count < 2) {
		return false
	}
	b.refs[u.key]++
	return true
}

// drop counts a dropped event's reference to key.
func (b *templateBatch) drop(key templateKey) { b.refs[key]-- }

// commit writes each changed template's references, and deletes the
// templates no event refers to any more.
func (b *templateBatch) commit() error {
	for key, delta := range b.refs {
		if delta == 0 {
			continue
		}
		var refs int64
		var shape []byte
		if u := b.uses[key]; u != nil {
			shape = u.shape // set: the batch referred to it
		}
		if v := b.bucket.Get(key[:]); len(v) >= 8 {
			refs, shape = int64(binary.BigEndian.Uint64(v)), v[8:]
		}
		refs += int64(delta)
		if refs < 0 || shape == nil {
			return errors.New("event template references out of step")
		}
		if refs == 0 {
			if err := b.bucket.Delete(key[:]); err != nil {
				return err
			}
			continue
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(shape)), uint64(refs))
		if err := b.bucket.Put(key[:], append(v, shape...)); err != nil {
			return err
		}
	}
	return nil
}

// templateReader resolves stored events' templates for one transaction's reads.
type templateReader struct {
	bucket *bolt.Bucket
	shapes map[templateKey][]byte
}

func (tx *Tx) templateReader() *templateReader {
	return &templateReader{bucket: tx.btx.Bucket(eventTemplatesBucket), shapes: map[templateKey][]byte{}}
}

func (r *templateReader) shape(key templateKey) ([]byte, error) {
	if s, ok := r.shapes[key]; ok {
		return s, nil
	}
	v := r.bucket.Get(key[:])
	if len(v) < 8 {
		return nil, errors.New("decode event: template missing")
	}
	r.shapes[key] = v[8:]
	return v[8:], nil
}
