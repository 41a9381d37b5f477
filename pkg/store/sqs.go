package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// QueueRef names an SQS queue: queues are regional, so the same name may
// exist in every region of an account.
type QueueRef struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	Name      string `json:"name"`
}

// key is the queue's key in the queues bucket; its messages sit under
// key + "/" in the messages bucket. Names never contain "/" (SQS allows
// only alphanumerics, '-' and '_'), so one queue's prefix never covers another's.
func (r QueueRef) key() string { return r.AccountID + "/" + r.Region + "/" + r.Name }

// String is "<account>/<region>/<name>".
func (r QueueRef) String() string { return r.key() }

// Queue is an SQS standard queue.
type Queue struct {
	QueueRef
	// Attributes holds the settable attributes as SQS names and formats
	// them (VisibilityTimeout "30", Policy "{…}"); the API layer owns their
	// meaning and defaults.
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	ModifiedAt time.Time         `json:"modified_at"`
	// DeletedAt marks a deleted queue, kept as a tombstone so that a new
	// queue of the same name can be refused for a while (SQS's
	// QueueDeletedRecently). A deleted queue is invisible otherwise.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
	// NextSeq numbers the next message sent, so messages list in send order.
	NextSeq uint64 `json:"next_seq"`
	// PurgedAt is the last PurgeQueue (SQS refuses another for 60 seconds).
	PurgedAt time.Time `json:"purged_at,omitzero"`
	// DeadLetterTarget is the queue of the RedrivePolicy, if there is one:
	// the API layer parses the policy, the store indexes the reverse
	// relation (ListDeadLetterSourceQueues) from it.
	DeadLetterTarget *QueueRef `json:"dead_letter_target,omitempty"`
}

// Deleted reports whether the record is the tombstone of a deleted queue.
func (q Queue) Deleted() bool { return !q.DeletedAt.IsZero() }

// Message is one message of a queue.
type Message struct {
	Seq      uint64 `json:"seq"`
	ID       string `json:"id"`
	Body     string `json:"body"`
	SenderID string `json:"sender_id"`
	GroupID  string `json:"group_id,omitempty"`
	// Attributes are the sender's message attributes, by name.
	Attributes map[string]MessageAttribute `json:"attributes,omitempty"`
	SentAt     time.Time                   `json:"sent_at"`
	// VisibleAt is when the message may next be received: after its delay
	// when sent, after the visibility timeout once received.
	VisibleAt       time.Time `json:"visible_at"`
	ReceiveCount    int       `json:"receive_count"`
	FirstReceivedAt time.Time `json:"first_received_at,omitzero"`
	// Receipt identifies the latest receive; only a receipt handle carrying
	// it deletes the message.
	Receipt string `json:"receipt,omitempty"`
	// ReceivedAt is when the latest receive happened.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// DeduplicationID is a FIFO message's deduplication id (given or
	// derived from its body).
	DeduplicationID string `json:"deduplication_id,omitempty"`
}

// MessageAttribute is one message attribute: a String, Number or Binary
// value (DataType may add a custom suffix, as in "Binary.png").
type MessageAttribute struct {
	DataType    string `json:"data_type"`
	StringValue string `json:"string_value,omitempty"`
	BinaryValue []byte `json:"binary_value,omitempty"`
}

func messageKey(q QueueRef, seq uint64) string { return fmt.Sprintf("%s/%020d", q.key(), seq) }

// QueueRecord returns the stored record of a queue, tombstones included;
// ErrNotFound when there has never been one (or it was purged).
func (tx *Tx) QueueRecord(ref QueueRef) (Queue, error) {
	var q Queue
	if err := tx.get(queuesBucket, ref.key(), &q); err != nil {
		return Queue{}, fmt.Errorf("queue %s: %w", ref, err)
	}
	return q, nil
}

// Queue returns a live queue; ErrNotFound when absent or deleted.
func (tx *Tx) Queue(ref QueueRef) (Queue, error) {
	q, err := tx.QueueRecord(ref)
	if err != nil {
		return Queue{}, err
	}
	if q.Deleted() {
		return Queue{}, fmt.Errorf("queue %s: %w", ref, ErrNotFound)
	}
	return q, nil
}

// Queue returns a live queue in its own transaction.
func (s *Store) Queue(ctx context.Context, ref QueueRef) (Queue, error) {
	return viewOne(ctx, s, func(tx *Tx) (Queue, error) { return tx.Queue(ref) })
}

// PutQueue creates or replaces a queue record, with its dead-letter index entry.
func (tx *Tx) PutQueue(q Queue) error {
	return putIndexed(tx, queuesBucket, q.key(), q, queueIndexEntries)
}

// DeadLetterSourceQueues lists the live queues whose redrive policy names
// dlq, ordered by account, region and name: a prefix seek of the index.
func (tx *Tx) DeadLetterSourceQueues(dlq QueueRef) ([]QueueRef, error) {
	var out []QueueRef
	c := tx.btx.Bucket(queuesByDeadLetterTarget).Cursor()
	prefix := []byte(dlq.key() + "\x00")
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		parts := strings.Split(string(k[len(prefix):]), "/")
		if len(parts) != 3 {
			return nil, fmt.Errorf("dead-letter index entry %q: malformed", k)
		}
		out = append(out, QueueRef{AccountID: parts[0], Region: parts[1], Name: parts[2]})
	}
	return out, nil
}

// Queues lists the live queues of an account in a region whose names start
// with prefix, ordered by name.
func (tx *Tx) Queues(accountID, region, prefix string) ([]Queue, error) {
	out, _, err := tx.QueuesPage(accountID, region, prefix, "", 0)
	if len(out) == 0 {
		out = nil // as before paging: no queues is a nil list
	}
	return out, err
}

// QueuesPage is one page of Queues: at most limit (limit <= 0: all) from
// where the cursor after ("" for the start) left off, and the cursor of the
// next page ("" on the last page). ErrInvalidCursor for a cursor it did not
// hand out. Queues are keyed by account, region and name, so this is a
// prefix seek of the queues bucket itself.
func (tx *Tx) QueuesPage(accountID, region, prefix, after string, limit int) ([]Queue, string, error) {
	ref := QueueRef{AccountID: accountID, Region: region}
	return pageIndex(tx, queuesBucket, ref.key(), prefix, after, limit,
		func(rest []byte) (Queue, bool, bool, error) {
			name := string(rest)
			if !strings.HasPrefix(name, prefix) {
				return Queue{}, false, true, nil // keys are in name order: nothing further matches
			}
			ref.Name = name
			q, err := tx.QueueRecord(ref)
			return q, err == nil && !q.Deleted(), false, err
		})
}

// DeleteQueue deletes a queue, its messages and its deduplication
// records, leaving a tombstone.
func (tx *Tx) DeleteQueue(q Queue) error {
	if err := tx.deletePrefix(messagesBucket, q.key()+"/"); err != nil {
		return err
	}
	if err := tx.deletePrefix(dedupBucket, q.key()+"/"); err != nil {
		return err
	}
	q.DeletedAt = tx.now
	q.Attributes, q.Tags, q.DeadLetterTarget = nil, nil, nil
	return tx.PutQueue(q)
}

// PurgeQueue deletes every message of a queue and records when. Its
// deduplication records stay: a purge empties a queue, it does not make
// it forget what it was sent.
func (tx *Tx) PurgeQueue(q Queue) error {
	if err := tx.deletePrefix(messagesBucket, q.key()+"/"); err != nil {
		return err
	}
	q.PurgedAt = tx.now
	return tx.PutQueue(q)
}

// deletePrefix deletes every key of bucket that starts with prefix.
func (tx *Tx) deletePrefix(bucket []byte, p string) error {
	c := tx.btx.Bucket(bucket).Cursor()
	prefix := []byte(p)
	// Collect first: deleting under a cursor skips keys in bbolt.
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := tx.btx.Bucket(bucket).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// SendMessage appends m to the queue, numbering it; it returns the stored message.
func (tx *Tx) SendMessage(ref QueueRef, m Message) (Message, error) {
	q, err := tx.Queue(ref)
	if err != nil {
		return Message{}, err
	}
	q.NextSeq++
	m.Seq = q.NextSeq
	if err := tx.PutQueue(q); err != nil {
		return Message{}, err
	}
	return m, tx.put(messagesBucket, messageKey(ref, m.Seq), m)
}

// MessageCounts are a queue's approximate message numbers at one instant.
type MessageCounts struct {
	Visible    int // available for receipt
	NotVisible int // in flight: received, not deleted, visibility timeout not over
	Delayed    int // sent with a delay that has not passed yet
}

// QueueMessageCounts counts the unexpired messages of a queue; messages
// older than retention do not count.
func (tx *Tx) QueueMessageCounts(ref QueueRef, retention time.Duration) (MessageCounts, error) {
	var n MessageCounts
	err := each(tx, messagesBucket, ref.key()+"/", func(_ string, m *Message) error {
		switch {
		case !tx.now.Before(m.SentAt.Add(retention)):
		case !m.VisibleAt.After(tx.now):
			n.Visible++
		case m.ReceiveCount > 0:
			n.NotVisible++
		default:
			n.Delayed++
		}
		return nil
	})
	return n, err
}

// ReceiveOptions say how ReceiveMessages takes messages.
type ReceiveOptions struct {
	Max        int           // at most this many messages
	Visibility time.Duration // hidden for this long once received
	Retention  time.Duration // messages older than this are dropped
	// FIFO keeps order per message group: while a message of a group is in
	// flight (or delayed), no later message of that group is received.
	FIFO bool
	// DeadLetter, when set with MaxReceiveCount, is where a message goes
	// instead of being received once more after MaxReceiveCount receives.
	DeadLetter      *QueueRef
	MaxReceiveCount int
}

// ReceiveResult is what one ReceiveMessages took.
type ReceiveResult struct {
	Messages []Message
	// NextVisibleAt is the earliest time after now at which a message of
	// the queue that is hidden now becomes visible (zero: none is hidden),
	// for a long poll to wake at.
	NextVisibleAt time.Time
	// MovedToDeadLetter counts the messages moved to the dead-letter queue.
	MovedToDeadLetter int
}

// ReceiveMessages takes up to opt.Max visible messages of the queue in send
// order and hides each for opt.Visibility, giving it a new receipt.
// Messages older than the retention period are deleted on the way, as SQS
// drops them, and messages received opt.MaxReceiveCount times already move
// to the dead-letter queue (if it exists) keeping their id, body,
// attributes and send time. It reads only this queue's messages.
func (tx *Tx) ReceiveMessages(ref QueueRef, opt ReceiveOptions) (ReceiveResult, error) {
	var res ReceiveResult
	var expired, moved []Message
	redrive := opt.DeadLetter != nil && opt.MaxReceiveCount > 0
	if redrive {
		if _, err := tx.Queue(*opt.DeadLetter); errors.Is(err, ErrNotFound) {
			redrive = false // the dead-letter queue is gone: messages stay where they are
		} else if err != nil {
			return res, err
		}
	}
	blocked := map[string]bool{} // FIFO groups with a hidden message
	err := each(tx, messagesBucket, ref.key()+"/", func(_ string, m *Message) error {
		switch {
		case !tx.now.Before(m.SentAt.Add(opt.Retention)):
			expired = append(expired, *m)
		case m.VisibleAt.After(tx.now):
			if res.NextVisibleAt.IsZero() || m.VisibleAt.Before(res.NextVisibleAt) {
				res.NextVisibleAt = m.VisibleAt
			}
			if opt.FIFO {
				blocked[m.GroupID] = true
			}
		case opt.FIFO && blocked[m.GroupID]:
		case redrive && m.ReceiveCount >= opt.MaxReceiveCount:
			moved = append(moved, *m)
		case len(res.Messages) < opt.Max:
			res.Messages = append(res.Messages, *m)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	for _, m := range append(expired, moved...) {
		if err := tx.delete(messagesBucket, messageKey(ref, m.Seq)); err != nil {
			return res, err
		}
	}
	for _, m := range moved {
		m.VisibleAt, m.ReceiveCount, m.FirstReceivedAt, m.ReceivedAt, m.Receipt = tx.now, 0, time.Time{}, time.Time{}, ""
		if _, err := tx.SendMessage(*opt.DeadLetter, m); err != nil {
			return res, err
		}
	}
	res.MovedToDeadLetter = len(moved)
	for i := range res.Messages {
		m := &res.Messages[i]
		m.ReceiveCount++
		if m.FirstReceivedAt.IsZero() {
			m.FirstReceivedAt = tx.now
		}
		m.ReceivedAt = tx.now
		m.VisibleAt = tx.now.Add(opt.Visibility)
		m.Receipt = newReceipt()
		if err := tx.PutMessage(ref, *m); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Message returns message seq of a queue; ErrNotFound when it is gone.
func (tx *Tx) Message(ref QueueRef, seq uint64) (Message, error) {
	var m Message
	if err := tx.get(messagesBucket, messageKey(ref, seq), &m); err != nil {
		return Message{}, fmt.Errorf("message %s/%d: %w", ref, seq, err)
	}
	return m, nil
}

// PutMessage replaces a stored message (its visibility, say).
func (tx *Tx) PutMessage(ref QueueRef, m Message) error {
	return tx.put(messagesBucket, messageKey(ref, m.Seq), m)
}

// Deduplication is what a FIFO queue remembers of a message it accepted:
// a message sent again with the same deduplication key within the
// window is accepted without being enqueued, and answered with these.
type Deduplication struct {
	MessageID string    `json:"message_id"`
	Seq       uint64    `json:"seq"`
	At        time.Time `json:"at"`
}

// Deduplication records live in dedupBucket under the queue's key: by
// deduplication key ("<queue>/k/<key>") and, to forget them when the
// window has passed without scanning, by time ("<queue>/t/<timeKey><key>").
func dedupKey(ref QueueRef, key string) string { return ref.key() + "/k/" + key }
func dedupTimeKey(ref QueueRef, at time.Time, key string) string {
	return ref.key() + "/t/" + timeKey(at) + key
}

// Deduplicated returns the record of key if the queue accepted a message
// with it less than window ago. Records older than the window are deleted
// on the way, oldest first, so the bucket holds one window's worth.
func (tx *Tx) Deduplicated(ref QueueRef, key string, window time.Duration) (Deduplication, bool, error) {
	if err := tx.forgetDeduplications(ref, tx.now.Add(-window)); err != nil {
		return Deduplication{}, false, err
	}
	var d Deduplication
	err := tx.get(dedupBucket, dedupKey(ref, key), &d)
	if errors.Is(err, ErrNotFound) {
		return Deduplication{}, false, nil
	} else if err != nil {
		return Deduplication{}, false, err
	}
	return d, true, nil
}

// PutDeduplication remembers that the queue accepted a message under key.
func (tx *Tx) PutDeduplication(ref QueueRef, key string, d Deduplication) error {
	var old Deduplication
	if err := tx.get(dedupBucket, dedupKey(ref, key), &old); err == nil {
		if err := tx.delete(dedupBucket, dedupTimeKey(ref, old.At, key)); err != nil {
			return err
		}
	}
	if err := tx.put(dedupBucket, dedupKey(ref, key), d); err != nil {
		return err
	}
	return tx.btx.Bucket(dedupBucket).Put([]byte(dedupTimeKey(ref, d.At, key)), nil)
}

// forgetDeduplications deletes the queue's records made before cutoff.
func (tx *Tx) forgetDeduplications(ref QueueRef, cutoff time.Time) error {
	prefix := []byte(ref.key() + "/t/")
	var stale [][]byte
	c := tx.btx.Bucket(dedupBucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		rest := k[len(prefix):]
		if len(rest) < timeKeyLen || !timeOfKey(rest).Before(cutoff) {
			break
		}
		stale = append(stale, append([]byte(nil), k...))
	}
	b := tx.btx.Bucket(dedupBucket)
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
		if err := b.Delete([]byte(ref.key() + "/k/" + string(k[len(prefix)+timeKeyLen:]))); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMessage deletes the message seq of a queue if receipt is its latest
// receipt. Like SQS, it is not an error when the message is already gone
// or the receipt is stale (then the message stays).
func (tx *Tx) DeleteMessage(ref QueueRef, seq uint64, receipt string) error {
	var m Message
	err := tx.get(messagesBucket, messageKey(ref, seq), &m)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if m.Receipt == "" || m.Receipt != receipt {
		return nil
	}
	return tx.delete(messagesBucket, messageKey(ref, seq))
}

func newReceipt() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
