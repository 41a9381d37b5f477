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

// PutQueue creates or replaces a queue record.
func (tx *Tx) PutQueue(q Queue) error { return tx.put(queuesBucket, q.key(), q) }

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

// DeleteQueue deletes a queue and its messages, leaving a tombstone.
func (tx *Tx) DeleteQueue(q Queue) error {
	if err := tx.deleteMessages(q.QueueRef); err != nil {
		return err
	}
	q.DeletedAt = tx.now
	q.Attributes, q.Tags = nil, nil
	return tx.PutQueue(q)
}

func (tx *Tx) deleteMessages(ref QueueRef) error {
	c := tx.btx.Bucket(messagesBucket).Cursor()
	prefix := []byte(ref.key() + "/")
	// Collect first: deleting under a cursor skips keys in bbolt.
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := tx.btx.Bucket(messagesBucket).Delete(k); err != nil {
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

// ReceiveMessages takes up to max visible messages of the queue in send
// order and hides each for visibility, giving it a new receipt. Messages
// older than retention are deleted on the way, as SQS drops them.
func (tx *Tx) ReceiveMessages(ref QueueRef, max int, visibility, retention time.Duration) ([]Message, error) {
	var got, expired []Message
	err := each(tx, messagesBucket, ref.key()+"/", func(_ string, m *Message) error {
		switch {
		case !tx.now.Before(m.SentAt.Add(retention)):
			expired = append(expired, *m)
		case !m.VisibleAt.After(tx.now) && len(got) < max:
			got = append(got, *m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range expired {
		if err := tx.delete(messagesBucket, messageKey(ref, m.Seq)); err != nil {
			return nil, err
		}
	}
	for i := range got {
		m := &got[i]
		m.ReceiveCount++
		if m.FirstReceivedAt.IsZero() {
			m.FirstReceivedAt = tx.now
		}
		m.VisibleAt = tx.now.Add(visibility)
		m.Receipt = newReceipt()
		if err := tx.put(messagesBucket, messageKey(ref, m.Seq), m); err != nil {
			return nil, err
		}
	}
	return got, nil
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
