package sqs

// Sending, receiving (with long polls), visibility changes and purges.
// SendMessage and each entry of SendMessageBatch go through the same
// validation (checkOutgoing, without the queue) and enqueueing (enqueue,
// in the queue's transaction).

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- SendMessage ---

type sendMessageInput struct {
	QueueURL               string `json:"QueueUrl" query:"QueueUrl"`
	MessageBody            string `json:"MessageBody" query:"MessageBody"`
	DelaySeconds           *int32 `json:"DelaySeconds" query:"DelaySeconds"`
	MessageDeduplicationID string `json:"MessageDeduplicationId" query:"MessageDeduplicationId"`
	MessageGroupID         string `json:"MessageGroupId" query:"MessageGroupId"`
	// MessageAttributes come from JSON here; over the query protocol
	// (MessageAttribute.N.Name/Value.*) the handler reads them from the form.
	MessageAttributes messageAttributeMap `json:"MessageAttributes"`
}

func (in *sendMessageInput) queueURLMember() *string { return &in.QueueURL }

func (in *sendMessageInput) outgoing() outgoing {
	return outgoing{Body: in.MessageBody, DelaySeconds: in.DelaySeconds, DeduplicationID: in.MessageDeduplicationID,
		GroupID: in.MessageGroupID, Attributes: in.MessageAttributes}
}

// outgoing is one message to send, as SendMessage and a batch entry give it.
type outgoing struct {
	Body            string
	DelaySeconds    *int32
	DeduplicationID string
	GroupID         string
	Attributes      messageAttributeMap
}

// checkedOutgoing is an outgoing message whose members are valid.
type checkedOutgoing struct {
	outgoing
	attrs map[string]store.MessageAttribute
	// size counts the body and the attributes' names, types and values,
	// as SQS counts them towards its size limits.
	size int64
}

// validFIFOID is what MessageGroupId and MessageDeduplicationId may hold:
// 1 to 128 alphanumerics and punctuation (the model's ^[!-~]{1,128}$ spelled out).
func validFIFOID(id string) bool { return fifoIDChars.Match(id, 1, 128) }

// checkOutgoing validates what does not depend on the queue.
func checkOutgoing(o outgoing) (checkedOutgoing, error) {
	if o.Body == "" {
		return checkedOutgoing{}, errMissingParameter("MessageBody")
	}
	if !validMessageBody(o.Body) {
		return checkedOutgoing{}, sqsError(http.StatusBadRequest, "InvalidMessageContents", "InvalidMessageContents",
			"Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	if d := o.DelaySeconds; d != nil && (*d < 0 || *d > 900) {
		return checkedOutgoing{}, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *d)
	}
	for name, v := range map[string]string{"MessageGroupId": o.GroupID, "MessageDeduplicationId": o.DeduplicationID} {
		if v != "" && !validFIFOID(v) {
			return checkedOutgoing{}, errInvalidParameterValue("Value %s for parameter %s is invalid. Reason: It can contain up to 128 alphanumeric and punctuation characters.", truncate(v, 128), name)
		}
	}
	attrs, attrSize, err := storedMessageAttributes(o.Attributes)
	if err != nil {
		return checkedOutgoing{}, err
	}
	return checkedOutgoing{outgoing: o, attrs: attrs, size: int64(len(o.Body)) + attrSize}, nil
}

type sendMessageResult struct {
	MessageID              string `json:"MessageId" xml:"MessageId"`
	MD5OfMessageBody       string
	MD5OfMessageAttributes string `json:",omitempty" xml:",omitempty"`
	SequenceNumber         string `json:",omitempty" xml:",omitempty"`
}

func mD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// deduplicationWindow is how long a FIFO queue remembers a deduplication id.
const deduplicationWindow = 5 * time.Minute

// sequenceNumber is a FIFO message's SequenceNumber: its number in the
// queue, as the 20-digit decimal SQS's look like.
func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// enqueue sends one checked message to the live queue q in tx, applying
// what depends on the queue: its size limit, its delay, and for a FIFO
// queue the group and deduplication rules. A duplicate within the
// deduplication window is answered as the original was, and not enqueued.
func enqueue(tx *store.Tx, c *pipeline.Call, q store.Queue, o checkedOutgoing) (sendMessageResult, error) {
	if max := queueInt(q, "MaximumMessageSize"); o.size > max {
		return sendMessageResult{}, errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", max)
	}
	delay := queueSeconds(q, "DelaySeconds")
	m := store.Message{ID: pipeline.NewRequestID(), Body: o.Body, SenderID: c.ID.UserID, GroupID: o.GroupID,
		Attributes: o.attrs, SentAt: tx.Now()}
	dedupKey := ""
	if isFIFO(q) {
		if o.GroupID == "" {
			return sendMessageResult{}, errMissingParameter("MessageGroupId")
		}
		if o.DelaySeconds != nil {
			return sendMessageResult{}, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *o.DelaySeconds)
		}
		m.DeduplicationID = o.DeduplicationID
		if m.DeduplicationID == "" {
			if q.Attributes["ContentBasedDeduplication"] != "true" {
				return sendMessageResult{}, errInvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(o.Body))
			m.DeduplicationID = hex.EncodeToString(sum[:])
		}
		dedupKey = "\x00" + m.DeduplicationID
		if q.Attributes["DeduplicationScope"] == "messageGroup" {
			dedupKey = o.GroupID + dedupKey
		}
		d, seen, err := tx.Deduplicated(q.QueueRef, dedupKey, deduplicationWindow)
		if err != nil {
			return sendMessageResult{}, err
		}
		if seen {
			return sendMessageResult{MessageID: d.MessageID, MD5OfMessageBody: mD5(o.Body),
				MD5OfMessageAttributes: md5OfMessageAttributes(o.attrs), SequenceNumber: sequenceNumber(d.Seq)}, nil
		}
	} else {
		if o.DeduplicationID != "" {
			return sendMessageResult{}, errInvalidParameterValue("The request include parameter that is not valid for this queue type")
		}
		if o.DelaySeconds != nil {
			delay = time.Duration(*o.DelaySeconds) * time.Second
		}
	}
	m.VisibleAt = tx.Now().Add(delay)
	m, err := tx.SendMessage(q.QueueRef, m)
	if err != nil {
		return sendMessageResult{}, err
	}
	out := sendMessageResult{MessageID: m.ID, MD5OfMessageBody: mD5(m.Body), MD5OfMessageAttributes: md5OfMessageAttributes(m.Attributes)}
	if dedupKey != "" {
		out.SequenceNumber = sequenceNumber(m.Seq)
		if err := tx.PutDeduplication(q.QueueRef, dedupKey, store.Deduplication{MessageID: m.ID, Seq: m.Seq, At: tx.Now()}); err != nil {
			return sendMessageResult{}, err
		}
	}
	return out, nil
}

func (s *Service) sendMessage(ctx context.Context, c *pipeline.Call, in *sendMessageInput) (*sendMessageResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	if c.Proto == pipeline.ProtoQuery {
		in.MessageAttributes = queryMessageAttributes(c.Form, "")
	}
	o, err := checkOutgoing(in.outgoing())
	if err != nil {
		return nil, err
	}
	var out sendMessageResult
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		var err error
		out, err = enqueue(tx, c, q, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.arrivals.announce(ref)
	return &out, nil
}

// --- ReceiveMessage ---

type receiveMessageInput struct {
	QueueURL                    string   `json:"QueueUrl" query:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames" query:"AttributeName,flat"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames" query:"MessageSystemAttributeName,flat"`
	MessageAttributeNames       []string `json:"MessageAttributeNames" query:"MessageAttributeName,flat"`
	MaxNumberOfMessages         *int32   `json:"MaxNumberOfMessages" query:"MaxNumberOfMessages"`
	VisibilityTimeout           *int32   `json:"VisibilityTimeout" query:"VisibilityTimeout"`
	WaitTimeSeconds             *int32   `json:"WaitTimeSeconds" query:"WaitTimeSeconds"`
	// ReceiveRequestAttemptID is accepted and not used: every receive
	// takes fresh messages (docs/behaviour.md).
	ReceiveRequestAttemptID string `json:"ReceiveRequestAttemptId" query:"ReceiveRequestAttemptId"`
}

func (in *receiveMessageInput) queueURLMember() *string { return &in.QueueURL }

func (in *receiveMessageInput) Validate() error {
	if n := in.MaxNumberOfMessages; n != nil && (*n < 1 || *n > 10) {
		return errInvalidParameterValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *n)
	}
	if n := in.VisibilityTimeout; n != nil && (*n < 0 || *n > 43200) {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", *n)
	}
	if n := in.WaitTimeSeconds; n != nil && (*n < 0 || *n > 20) {
		return errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *n)
	}
	return nil
}

type receiveMessageResult struct {
	Messages []sqsMessage `json:"Messages,omitempty" xml:"Message"`
}

// sqsMessage is the Message shape of ReceiveMessage.
type sqsMessage struct {
	MessageID              string `json:"MessageId" xml:"MessageId"`
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             attributes          `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string              `json:",omitempty" xml:",omitempty"`
	MessageAttributes      messageAttributeMap `json:",omitempty" xml:"MessageAttribute,omitempty"`
}

// selectMessageAttributes picks the message attributes a receive asked
// for: a name, "All" or ".*" for every one, or "prefix.*".
func selectMessageAttributes(attrs map[string]store.MessageAttribute, wanted []string) map[string]store.MessageAttribute {
	out := map[string]store.MessageAttribute{}
	for _, w := range wanted {
		for name, a := range attrs {
			prefix, wildcard := strings.CutSuffix(w, ".*")
			if w == "All" || w == ".*" || name == w || (wildcard && strings.HasPrefix(name, prefix+".")) {
				out[name] = a
			}
		}
	}
	return out
}

// messageSystemAttributes are the system attributes of a message that SQS
// returns on request; the FIFO ones only for messages of a FIFO queue.
func messageSystemAttributes(q store.Queue, m store.Message) map[string]string {
	a := map[string]string{
		"SenderId":                         m.SenderID,
		"SentTimestamp":                    strconv.FormatInt(m.SentAt.UnixMilli(), 10),
		"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceivedAt.UnixMilli(), 10),
	}
	if m.GroupID != "" {
		a["MessageGroupId"] = m.GroupID
	}
	if isFIFO(q) {
		a["MessageDeduplicationId"] = m.DeduplicationID
		a["SequenceNumber"] = sequenceNumber(m.Seq)
	}
	return a
}

// receiveOptions are how ReceiveMessage takes messages from q.
func receiveOptions(q store.Queue, in *receiveMessageInput) store.ReceiveOptions {
	opt := store.ReceiveOptions{Max: 1, Visibility: queueSeconds(q, "VisibilityTimeout"),
		Retention: queueSeconds(q, "MessageRetentionPeriod"), FIFO: isFIFO(q)}
	if in.MaxNumberOfMessages != nil {
		opt.Max = int(*in.MaxNumberOfMessages)
	}
	if in.VisibilityTimeout != nil {
		opt.Visibility = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	if rp, err := parseRedrivePolicy(q.Attributes["RedrivePolicy"]); err == nil && q.DeadLetterTarget != nil {
		opt.DeadLetter, opt.MaxReceiveCount = q.DeadLetterTarget, rp.MaxReceiveCount
	}
	return opt
}

// receiveMessage takes messages, waiting for them up to the wait time
// (the request's WaitTimeSeconds, else the queue's
// ReceiveMessageWaitTimeSeconds) when there are none. A wait holds no
// transaction: it sleeps until a message may have become receivable (one
// was sent or made visible: the queue's arrivals; a hidden one's
// visibility passed; the clock was moved), then tries again. It ends at
// the deadline in emulated time, when the client goes away, or when the
// server begins to shut down, answering with no messages.
func (s *Service) receiveMessage(ctx context.Context, c *pipeline.Call, in *receiveMessageInput) (*receiveMessageResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	for first := true; ; first = false {
		arrived, moved := s.arrivals.next(ref), s.clock.Moved()
		var q store.Queue
		var got store.ReceiveResult
		err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, live store.Queue) error {
			q = live
			var err error
			got, err = tx.ReceiveMessages(ref, receiveOptions(q, in))
			return err
		})
		if err != nil {
			return nil, err
		}
		if got.MovedToDeadLetter > 0 {
			s.arrivals.announce(*q.DeadLetterTarget)
		}
		if len(got.Messages) > 0 {
			return receivedMessages(q, in, got.Messages), nil
		}
		now := s.clock.Now()
		if first {
			wait := queueSeconds(q, "ReceiveMessageWaitTimeSeconds")
			if in.WaitTimeSeconds != nil {
				wait = time.Duration(*in.WaitTimeSeconds) * time.Second
			}
			deadline = now.Add(wait)
		}
		sleep := deadline.Sub(now)
		if sleep <= 0 {
			return &receiveMessageResult{}, nil
		}
		if next := got.NextVisibleAt; !next.IsZero() && next.Sub(now) < sleep {
			sleep = max(next.Sub(now), time.Millisecond)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-arrived:
		case <-moved:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return &receiveMessageResult{}, nil // nobody is listening any more
		case <-s.stopping:
			timer.Stop()
			return &receiveMessageResult{}, nil
		}
		timer.Stop()
	}
}

// receivedMessages is the wire form of messages received from q.
func receivedMessages(q store.Queue, in *receiveMessageInput, got []store.Message) *receiveMessageResult {
	wanted := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	out := &receiveMessageResult{}
	for _, m := range got {
		msg := sqsMessage{MessageID: m.ID, ReceiptHandle: encodeReceiptHandle(q.QueueRef, m.Seq, m.Receipt),
			MD5OfBody: mD5(m.Body), Body: m.Body}
		if picked := selectMessageAttributes(m.Attributes, in.MessageAttributeNames); len(picked) > 0 {
			msg.MessageAttributes = wireMessageAttributes(picked)
			msg.MD5OfMessageAttributes = md5OfMessageAttributes(picked)
		}
		msg.Attributes = pickAttributes(messageSystemAttributes(q, m), wanted)
		out.Messages = append(out.Messages, msg)
	}
	return out
}

// --- ChangeMessageVisibility ---

type changeMessageVisibilityInput struct {
	QueueURL          string `json:"QueueUrl" query:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle" query:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout" query:"VisibilityTimeout"`
}

func (in *changeMessageVisibilityInput) queueURLMember() *string { return &in.QueueURL }

func (in *changeMessageVisibilityInput) Validate() error {
	if in.ReceiptHandle == "" {
		return errMissingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return errMissingParameter("VisibilityTimeout")
	}
	return checkVisibilityTimeout(*in.VisibilityTimeout)
}

// maxVisibility is the longest a message may stay hidden after a receive.
const maxVisibility = 12 * time.Hour

func checkVisibilityTimeout(n int32) error {
	if n < 0 || time.Duration(n)*time.Second > maxVisibility {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", n)
	}
	return nil
}

func errReceiptHandleIsInvalid(handle string) *pipeline.Error {
	return sqsError(http.StatusNotFound, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
		"The input receipt handle \"%s\" is not a valid receipt handle.", truncate(handle, 128))
}

// changeVisibility hides the message a receipt handle names for timeout
// from now. The handle must be the message's latest and the message in
// flight; its whole time hidden since that receive stays within 12 hours.
func changeVisibility(tx *store.Tx, ref store.QueueRef, handle string, timeout int32) error {
	seq, receipt, ok := decodeReceiptHandle(ref, handle)
	if !ok {
		return errReceiptHandleIsInvalid(handle)
	}
	m, err := tx.Message(ref, seq)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Receipt != receipt) {
		return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", truncate(handle, 128))
	} else if err != nil {
		return err
	}
	if !m.VisibleAt.After(tx.Now()) {
		return sqsError(http.StatusBadRequest, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
			"The message referred to is not in flight.")
	}
	d := time.Duration(timeout) * time.Second
	if tx.Now().Sub(m.ReceivedAt)+d > maxVisibility {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds].", timeout)
	}
	m.VisibleAt = tx.Now().Add(d)
	return tx.PutMessage(ref, m)
}

func (s *Service) changeMessageVisibility(ctx context.Context, c *pipeline.Call, in *changeMessageVisibilityInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, _ store.Queue) error {
		return changeVisibility(tx, ref, in.ReceiptHandle, *in.VisibilityTimeout)
	})
	if err != nil {
		return nil, err
	}
	s.arrivals.announce(ref) // a timeout of 0 makes the message receivable now
	return &pipeline.NoOutput{}, nil
}

// --- PurgeQueue ---

type purgeQueueInput struct {
	QueueURL string `json:"QueueUrl" query:"QueueUrl"`
}

func (in *purgeQueueInput) queueURLMember() *string { return &in.QueueURL }

// purgeWait is how long SQS refuses another PurgeQueue of a queue.
const purgeWait = 60 * time.Second

// purgeQueue deletes every message of the queue at once (SQS takes up to
// 60 seconds; the emulator is done when it answers).
func (s *Service) purgeQueue(ctx context.Context, c *pipeline.Call, in *purgeQueueInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		if !q.PurgedAt.IsZero() && tx.Now().Before(q.PurgedAt.Add(purgeWait)) {
			return sqsError(http.StatusForbidden, "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
				"Only one PurgeQueue operation on %s is allowed every 60 seconds.", ref.Name)
		}
		return tx.PurgeQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}
