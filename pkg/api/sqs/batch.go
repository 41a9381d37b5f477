package sqs

// SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch.
// A batch as a whole is refused (EmptyBatchRequest,
// TooManyEntriesInBatchRequest, InvalidBatchEntryId,
// BatchEntryIdsNotDistinct, BatchRequestTooLong), or each entry succeeds
// or fails on its own: the request is answered 200 with Successful and
// Failed lists. A batch runs in one transaction.

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// maxBatchEntries and maxBatchSize are SQS's batch limits: ten entries,
// and message bodies and attributes of 1 MiB in all (the model's
// SendMessageBatch documentation; the same as the largest message).
const (
	maxBatchEntries = 10
	maxBatchSize    = 1 << 20
)

// validBatchEntryID is the model's ^[A-Za-z0-9_-]{1,80}$ for a batch entry's Id.
func validBatchEntryID(id string) bool { return nameChars.Match(id, 1, 80) }

func batchError(shape, format string, args ...any) *pipeline.Error {
	return sqsError(http.StatusBadRequest, shape, "AWS.SimpleQueueService."+shape, format, args...)
}

// checkBatchIDs applies the rules every batch shares to its entries' ids;
// entryName is the query protocol's name of one entry.
func checkBatchIDs[E any](entries []E, idOf func(E) string, entryName string) error {
	if len(entries) == 0 {
		return batchError("EmptyBatchRequest", "There should be at least one %s in the request.", entryName)
	}
	if len(entries) > maxBatchEntries {
		return batchError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(entries))
	}
	seen := map[string]bool{}
	for i, e := range entries {
		id := idOf(e)
		if id == "" {
			return errMissingParameter(entryName + "." + strconv.Itoa(i+1) + ".Id")
		}
		if !validBatchEntryID(id) {
			return batchError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return batchError("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// batchResultErrorEntry is the BatchResultErrorEntry shape: an entry that failed.
type batchResultErrorEntry struct {
	ID          string `json:"Id" xml:"Id"`
	SenderFault bool
	Code        string
	Message     string
}

// entryFailure is the failed entry id for err: the legacy code SQS puts
// in batch results, and the sender's fault unless the emulator failed.
func entryFailure(id string, err error) (batchResultErrorEntry, error) {
	e := pipeline.AsError(err)
	if e == nil {
		return batchResultErrorEntry{}, err // not the client's: the whole request fails
	}
	code := e.QueryCode
	if code == "" {
		code = e.Code
	}
	return batchResultErrorEntry{ID: id, SenderFault: e.Status < 500, Code: code, Message: e.Message}, nil
}

// --- SendMessageBatch ---

type sendMessageBatchInput struct {
	QueueURL string                  `json:"QueueUrl" query:"QueueUrl"`
	Entries  []sendMessageBatchEntry `json:"Entries" query:"SendMessageBatchRequestEntry,flat"`
}

// sendMessageBatchEntry is the SendMessageBatchRequestEntry shape; over
// the query protocol the handler reads its message attributes from the form.
type sendMessageBatchEntry struct {
	ID                     string              `json:"Id" query:"Id"`
	MessageBody            string              `json:"MessageBody" query:"MessageBody"`
	DelaySeconds           *int32              `json:"DelaySeconds" query:"DelaySeconds"`
	MessageDeduplicationID string              `json:"MessageDeduplicationId" query:"MessageDeduplicationId"`
	MessageGroupID         string              `json:"MessageGroupId" query:"MessageGroupId"`
	MessageAttributes      messageAttributeMap `json:"MessageAttributes"`
}

func (in *sendMessageBatchInput) queueURLMember() *string { return &in.QueueURL }

func (in *sendMessageBatchInput) Validate() error {
	return checkBatchIDs(in.Entries, func(e sendMessageBatchEntry) string { return e.ID }, "SendMessageBatchRequestEntry")
}

type sendMessageBatchResultEntry struct {
	ID                     string `json:"Id" xml:"Id"`
	MessageID              string `json:"MessageId" xml:"MessageId"`
	MD5OfMessageBody       string
	MD5OfMessageAttributes string `json:",omitempty" xml:",omitempty"`
	SequenceNumber         string `json:",omitempty" xml:",omitempty"`
}

type sendMessageBatchResult struct {
	Successful []sendMessageBatchResultEntry `json:"Successful" xml:"SendMessageBatchResultEntry"`
	Failed     []batchResultErrorEntry       `json:"Failed" xml:"BatchResultErrorEntry"`
}

func (s *Service) sendMessageBatch(ctx context.Context, c *pipeline.Call, in *sendMessageBatchInput) (*sendMessageBatchResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	// Entries are checked before the queue is read; those that fail here
	// fail whatever the queue, and the valid ones count towards the size.
	checked := make([]checkedOutgoing, len(in.Entries))
	invalid := make([]error, len(in.Entries))
	var total int64
	for i, e := range in.Entries {
		if c.Proto == pipeline.ProtoQuery {
			e.MessageAttributes = queryMessageAttributes(c.Form, "SendMessageBatchRequestEntry."+strconv.Itoa(i+1)+".")
		}
		checked[i], invalid[i] = checkOutgoing(outgoing{Body: e.MessageBody, DelaySeconds: e.DelaySeconds,
			DeduplicationID: e.MessageDeduplicationID, GroupID: e.MessageGroupID, Attributes: e.MessageAttributes})
		total += checked[i].size
	}
	if total > maxBatchSize {
		return nil, batchError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchSize, total)
	}
	var out *sendMessageBatchResult
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		out = &sendMessageBatchResult{Successful: []sendMessageBatchResultEntry{}, Failed: []batchResultErrorEntry{}}
		for i, e := range in.Entries {
			err := invalid[i]
			var sent sendMessageResult
			if err == nil {
				sent, err = enqueue(tx, c, q, checked[i])
			}
			if err != nil {
				failed, err := entryFailure(e.ID, err)
				if err != nil {
					return err
				}
				out.Failed = append(out.Failed, failed)
				continue
			}
			out.Successful = append(out.Successful, sendMessageBatchResultEntry{ID: e.ID, MessageID: sent.MessageID,
				MD5OfMessageBody: sent.MD5OfMessageBody, MD5OfMessageAttributes: sent.MD5OfMessageAttributes, SequenceNumber: sent.SequenceNumber})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.arrivals.announce(ref)
	return out, nil
}

// --- DeleteMessageBatch ---

type deleteMessageBatchInput struct {
	QueueURL string                    `json:"QueueUrl" query:"QueueUrl"`
	Entries  []deleteMessageBatchEntry `json:"Entries" query:"DeleteMessageBatchRequestEntry,flat"`
}

type deleteMessageBatchEntry struct {
	ID            string `json:"Id" query:"Id"`
	ReceiptHandle string `json:"ReceiptHandle" query:"ReceiptHandle"`
}

func (in *deleteMessageBatchInput) queueURLMember() *string { return &in.QueueURL }

func (in *deleteMessageBatchInput) Validate() error {
	return checkBatchIDs(in.Entries, func(e deleteMessageBatchEntry) string { return e.ID }, "DeleteMessageBatchRequestEntry")
}

// batchResultEntry is the result of an entry that succeeded, when SQS
// says no more than its id (DeleteMessageBatchResultEntry,
// ChangeMessageVisibilityBatchResultEntry).
type batchResultEntry struct {
	ID string `json:"Id" xml:"Id"`
}

type deleteMessageBatchResult struct {
	Successful []batchResultEntry      `json:"Successful" xml:"DeleteMessageBatchResultEntry"`
	Failed     []batchResultErrorEntry `json:"Failed" xml:"BatchResultErrorEntry"`
}

func (s *Service) deleteMessageBatch(ctx context.Context, c *pipeline.Call, in *deleteMessageBatchInput) (*deleteMessageBatchResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	ok, failed, err := eachEntry(ctx, s, ref, in.Entries, func(e deleteMessageBatchEntry) string { return e.ID },
		func(tx *store.Tx, e deleteMessageBatchEntry) error { return deleteByHandle(tx, ref, e.ReceiptHandle) })
	if err != nil {
		return nil, err
	}
	return &deleteMessageBatchResult{Successful: ok, Failed: failed}, nil
}

// eachEntry applies one entry at a time, in one transaction, for the
// batches whose successes are their ids alone (DeleteMessageBatch,
// ChangeMessageVisibilityBatch): an entry's own failure is its
// BatchResultErrorEntry, any other error fails the call. The queue's long
// polls are woken afterwards, since a FIFO group may be free again.
func eachEntry[E any](ctx context.Context, s *Service, ref store.QueueRef, entries []E, idOf func(E) string,
	apply func(*store.Tx, E) error) ([]batchResultEntry, []batchResultErrorEntry, error) {
	var ok []batchResultEntry
	var failed []batchResultErrorEntry
	err := inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, _ store.Queue) error {
		ok, failed = []batchResultEntry{}, []batchResultErrorEntry{} // a retried transaction starts over
		for _, e := range entries {
			if err := apply(tx, e); err != nil {
				f, err := entryFailure(idOf(e), err)
				if err != nil {
					return err
				}
				failed = append(failed, f)
				continue
			}
			ok = append(ok, batchResultEntry{ID: idOf(e)})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.arrivals.announce(ref)
	return ok, failed, nil
}

// deleteByHandle deletes the message a receipt handle names. As in SQS, a
// handle from an earlier receive of a message received again since
// succeeds without deleting it, and deleting an already deleted message
// succeeds.
func deleteByHandle(tx *store.Tx, ref store.QueueRef, handle string) error {
	if handle == "" {
		return errMissingParameter("ReceiptHandle")
	}
	seq, receipt, ok := decodeReceiptHandle(ref, handle)
	if !ok {
		return errReceiptHandleIsInvalid(handle)
	}
	return tx.DeleteMessage(ref, seq, receipt)
}

// --- ChangeMessageVisibilityBatch ---

type changeMessageVisibilityBatchInput struct {
	QueueURL string                              `json:"QueueUrl" query:"QueueUrl"`
	Entries  []changeMessageVisibilityBatchEntry `json:"Entries" query:"ChangeMessageVisibilityBatchRequestEntry,flat"`
}

type changeMessageVisibilityBatchEntry struct {
	ID                string `json:"Id" query:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle" query:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout" query:"VisibilityTimeout"`
}

func (in *changeMessageVisibilityBatchInput) queueURLMember() *string { return &in.QueueURL }

func (in *changeMessageVisibilityBatchInput) Validate() error {
	return checkBatchIDs(in.Entries, func(e changeMessageVisibilityBatchEntry) string { return e.ID }, "ChangeMessageVisibilityBatchRequestEntry")
}

type changeMessageVisibilityBatchResult struct {
	Successful []batchResultEntry      `json:"Successful" xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchResultErrorEntry `json:"Failed" xml:"BatchResultErrorEntry"`
}

func (s *Service) changeMessageVisibilityBatch(ctx context.Context, c *pipeline.Call, in *changeMessageVisibilityBatchInput) (*changeMessageVisibilityBatchResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	ok, failed, err := eachEntry(ctx, s, ref, in.Entries, func(e changeMessageVisibilityBatchEntry) string { return e.ID },
		func(tx *store.Tx, e changeMessageVisibilityBatchEntry) error {
			return changeVisibilityEntry(tx, ref, e)
		})
	if err != nil {
		return nil, err
	}
	return &changeMessageVisibilityBatchResult{Successful: ok, Failed: failed}, nil
}

func changeVisibilityEntry(tx *store.Tx, ref store.QueueRef, e changeMessageVisibilityBatchEntry) error {
	switch {
	case e.ReceiptHandle == "":
		return errMissingParameter("ReceiptHandle")
	case e.VisibilityTimeout == nil:
		return errMissingParameter("VisibilityTimeout")
	}
	if err := checkVisibilityTimeout(*e.VisibilityTimeout); err != nil {
		return err
	}
	err := changeVisibility(tx, ref, e.ReceiptHandle, *e.VisibilityTimeout)
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidParameterValue("Message does not exist or is not available for visibility timeout change.")
	}
	return err
}
