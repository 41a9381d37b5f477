package sqs

// SQS standard queues over both of SQS's wire protocols: AWS JSON 1.0
// (current SDKs) and the legacy query protocol (form in, XML out), which
// share the input structs (json and query tags) and the output structs
// (json and xml tags). Queues are regional: a queue is named by its owner
// account, the request's signing region and its name, and a queue URL is
// http://<request Host>/<account>/<name>.
//
// Errors carry the JSON __type (com.amazonaws.sqs#<Shape>) as Code and the
// legacy query code (AWS.SimpleQueueService.NonExistentQueue…) as QueryCode,
// which the query protocol sends as <Code> and JSON as x-amzn-query-error.

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rootaccess/emulator/pkg/api/pipeline"

	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- errors ---

// sqsError is an SQS error: shape is the model's error shape (JSON
// __type com.amazonaws.sqs#<shape>), queryCode its legacy query code.
func sqsError(status int, shape, queryCode, format string, args ...any) *pipeline.Error {
	e := pipeline.NewError(status, "com.amazonaws.sqs#"+shape, format, args...)
	e.QueryCode = queryCode
	return e
}

func errQueueDoesNotExist() *pipeline.Error {
	return sqsError(http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"The specified queue does not exist.")
}

func errMissingParameter(name string) *pipeline.Error {
	return sqsError(http.StatusBadRequest, "MissingParameter", "MissingParameter",
		"The request must contain the parameter %s.", name)
}

func errInvalidParameterValue(format string, args ...any) *pipeline.Error {
	return sqsError(http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", format, args...)
}

func errInvalidAttributeName(name string) *pipeline.Error {
	return sqsError(http.StatusBadRequest, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", name)
}

func errInvalidAttributeValue(name, reason string) *pipeline.Error {
	msg := "Invalid value for the parameter " + name + "."
	if reason != "" {
		msg += " Reason: " + reason
	}
	return sqsError(http.StatusBadRequest, "InvalidAttributeValue", "InvalidAttributeValue", "%s", msg)
}

// errUnsupported refuses a feature of SQS that the emulator does not have,
// rather than accepting a setting it would silently ignore.
func errUnsupported(format string, args ...any) *pipeline.Error {
	return sqsError(http.StatusBadRequest, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", format, args...)
}

// --- queue names, URLs and ARNs ---

// The name patterns are checked with character classes: as regexps, their
// bounded repetitions cost milliseconds of every start (pipeline.CharClass).
var (
	// nameChars are what queue names and batch entry ids are made of.
	nameChars = pipeline.NewCharClass("A-Za-z0-9_-")
	// regionChars bound the signing regions a queue can be created in: the
	// region is part of the queue's name and ARN.
	regionChars = pipeline.NewCharClass("a-z0-9-")
	// attributeNameChars are what message attribute names are made of.
	attributeNameChars = pipeline.NewCharClass("A-Za-z0-9_.-")
	// fifoIDChars are every printable ASCII character but the space.
	fifoIDChars = pipeline.NewCharClass("!-~")
)

// ValidQueueName reports whether name is a valid standard queue name,
// ^[A-Za-z0-9_-]{1,80}$ (world-building creates standard queues only).
func ValidQueueName(name string) bool { return nameChars.Match(name, 1, 80) }

// validFIFOQueueName is ^[A-Za-z0-9_-]{1,75}\.fifo$.
func validFIFOQueueName(name string) bool {
	base, ok := strings.CutSuffix(name, ".fifo")
	return ok && nameChars.Match(base, 1, 75)
}

// validQueueRegion is ^[a-z0-9-]{1,32}$.
func validQueueRegion(region string) bool { return regionChars.Match(region, 1, 32) }

// queueURLOf is the URL of a queue as this request's client reaches the emulator.
func queueURLOf(c *pipeline.Call, ref store.QueueRef) string {
	scheme := "http"
	if c.R.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.R.Host + "/" + ref.AccountID + "/" + ref.Name
}

func QueueARN(ref store.QueueRef) string {
	return "arn:aws:sqs:" + ref.Region + ":" + ref.AccountID + ":" + ref.Name
}

// queueRefOf finds the queue a request names. The QueueUrl member wins;
// query-protocol requests may instead be posted to the queue URL's path.
// Any host is accepted: the last two path segments are the owner account
// and the queue name. An empty *queueURL is set to the path it came from.
func queueRefOf(c *pipeline.Call, queueURL *string) (store.QueueRef, error) {
	if *queueURL == "" && c.Proto == pipeline.ProtoQuery && strings.Trim(c.R.URL.Path, "/") != "" {
		*queueURL = c.R.URL.Path
	}
	if *queueURL == "" {
		return store.QueueRef{}, errMissingParameter("QueueUrl")
	}
	invalid := sqsError(http.StatusNotFound, "InvalidAddress", "InvalidAddress",
		"The address %s is not valid for this endpoint.", truncate(*queueURL, 256))
	u, err := url.Parse(*queueURL)
	if err != nil {
		return store.QueueRef{}, invalid
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) < 2 {
		return store.QueueRef{}, invalid
	}
	account, name := segs[len(segs)-2], segs[len(segs)-1]
	if !pipeline.AccountIDPattern.MatchString(account) || name == "" {
		return store.QueueRef{}, invalid
	}
	return store.QueueRef{AccountID: account, Region: c.Region, Name: name}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// --- authorization targets ---

// queueURLInput is an input that names its queue with QueueUrl.
type queueURLInput interface{ queueURLMember() *string }

// queueTarget authorizes an operation on the queue named by the input's
// QueueUrl, with the queue policy as its resource policy.
func queueTarget[In any, P interface {
	*In
	queueURLInput
}](s *Service, ctx context.Context, c *pipeline.Call, in *In) (pipeline.Resource, error) {
	return s.namedQueueResource(ctx, c, P(in).queueURLMember(), false)
}

// queuePolicyTarget is queueTarget for the operations with which the queue
// owner's root user can always read and replace a queue policy that locks
// everyone out (the "unlock an SQS queue" root task): the queue policy is
// not evaluated for that caller.
func queuePolicyTarget[In any, P interface {
	*In
	queueURLInput
}](s *Service, ctx context.Context, c *pipeline.Call, in *In) (pipeline.Resource, error) {
	return s.namedQueueResource(ctx, c, P(in).queueURLMember(), true)
}

// namedQueueResource is the queue a QueueUrl member names, for authorization.
func (s *Service) namedQueueResource(ctx context.Context, c *pipeline.Call, queueURL *string, ownerRootBypass bool) (pipeline.Resource, error) {
	ref, err := queueRefOf(c, queueURL)
	if err != nil {
		return pipeline.Resource{}, err
	}
	return s.queueResource(ctx, ref, ownerRootBypass)
}

// queueResource is a queue for authorization. A queue that does not exist
// is authorized in the caller's own account (its identity policies alone
// decide), so that authorization can come before existence and the
// operation then answers QueueDoesNotExist.
func (s *Service) queueResource(ctx context.Context, ref store.QueueRef, ownerRootBypass bool) (pipeline.Resource, error) {
	res := pipeline.Resource{ARN: QueueARN(ref), OwnerRootBypass: ownerRootBypass}
	q, err := s.store.Queue(ctx, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return pipeline.Resource{}, err
	default:
		res.Account = ref.AccountID
		if p := q.Attributes["Policy"]; p != "" {
			res.Policies = []string{p}
		}
	}
	return res, nil
}

// createQueueTarget authorizes CreateQueue on the new queue's ARN in the
// caller's account; tags need sqs:TagQueue as well, as SQS documents.
func createQueueTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createQueueInput) (pipeline.Resource, error) {
	res := pipeline.Resource{ARN: QueueARN(store.QueueRef{AccountID: c.ID.AccountID, Region: c.Region, Name: in.QueueName})}
	if len(in.Tags) > 0 {
		res.Also = []string{"sqs:TagQueue"}
		res.Context = pipeline.RequestTagContext(in.Tags)
	}
	return res, nil
}

// getQueueUrlTarget authorizes GetQueueUrl on the queue it looks up, which
// may belong to another account (QueueOwnerAWSAccountId).
func getQueueUrlTarget(s *Service, ctx context.Context, c *pipeline.Call, in *getQueueUrlInput) (pipeline.Resource, error) {
	return s.queueResource(ctx, getQueueUrlRef(c, in), true)
}

// --- queue attributes ---

// queueAttributeNames is the model's QueueAttributeName enum.
var queueAttributeNames = []string{"All", "Policy", "VisibilityTimeout", "MaximumMessageSize",
	"MessageRetentionPeriod", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed",
	"DelaySeconds", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue",
	"ContentBasedDeduplication", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope",
	"FifoThroughputLimit", "RedriveAllowPolicy", "SqsManagedSseEnabled"}

// queueIntAttribute is a settable integer attribute: its range and default.
type queueIntAttribute struct{ min, max, def int64 }

var queueIntAttributes = map[string]queueIntAttribute{
	"DelaySeconds":                  {0, 900, 0},
	"MaximumMessageSize":            {1024, 1 << 20, 1 << 20},
	"MessageRetentionPeriod":        {60, 1209600, 345600},
	"ReceiveMessageWaitTimeSeconds": {0, 20, 0},
	"VisibilityTimeout":             {0, 43200, 30},
}

// DefaultQueueAttributes are a new standard queue's settable attributes.
func DefaultQueueAttributes() map[string]string {
	m := map[string]string{"SqsManagedSseEnabled": "true"}
	for name, a := range queueIntAttributes {
		m[name] = strconv.FormatInt(a.def, 10)
	}
	return m
}

// defaultFIFOAttributes are what a FIFO queue has beyond a standard one's.
var defaultFIFOAttributes = map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false",
	"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}

// NormalizeQueueAttributes validates attributes given to CreateQueue
// (creating) or SetQueueAttributes of a standard queue without a redrive
// policy, as world-building creates them, and returns them in stored form
// (canonical integers and booleans; an empty Policy means "remove").
func NormalizeQueueAttributes(attrs map[string]string, creating bool) (map[string]string, error) {
	for _, name := range []string{"FifoQueue", "RedrivePolicy", "RedriveAllowPolicy"} {
		if _, ok := attrs[name]; ok {
			return nil, errInvalidAttributeName(name)
		}
	}
	return normalizeQueueAttributes(attrs, creating, false)
}

// normalizeQueueAttributes is NormalizeQueueAttributes for a queue of
// either kind (fifo), with dead-letter settings. Whether a dead-letter
// target exists is for the handler, which has the transaction.
func normalizeQueueAttributes(attrs map[string]string, creating, fifo bool) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		value := attrs[name]
		if a, ok := queueIntAttributes[name]; ok {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < a.min || n > a.max {
				return nil, errInvalidAttributeValue(name, fmt.Sprintf("Must be an integer from %d to %d.", a.min, a.max))
			}
			out[name] = strconv.FormatInt(n, 10)
			continue
		}
		switch name {
		case "Policy":
			if value != "" {
				if _, err := policy.ParseAs([]byte(value), policy.ResourcePolicy); err != nil {
					return nil, errInvalidAttributeValue(name, err.Error())
				}
			}
			out[name] = value
		case "SqsManagedSseEnabled":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, errInvalidAttributeValue(name, "Must be true or false.")
			}
			out[name] = strconv.FormatBool(b)
		case "FifoQueue":
			if !creating {
				return nil, errInvalidAttributeName(name) // a queue's kind is fixed at creation
			}
			b, err := strconv.ParseBool(value)
			if err != nil || b != fifo {
				return nil, errInvalidAttributeValue(name, "A FIFO queue's name ends in .fifo and has FifoQueue true; a standard queue's does not.")
			}
			if fifo {
				out[name] = "true"
			}
		case "ContentBasedDeduplication":
			b, err := strconv.ParseBool(value)
			if !fifo {
				return nil, errInvalidAttributeName(name)
			} else if err != nil {
				return nil, errInvalidAttributeValue(name, "Must be true or false.")
			}
			out[name] = strconv.FormatBool(b)
		case "DeduplicationScope", "FifoThroughputLimit":
			allowed := map[string][]string{"DeduplicationScope": {"messageGroup", "queue"},
				"FifoThroughputLimit": {"perQueue", "perMessageGroupId"}}[name]
			if !fifo {
				return nil, errInvalidAttributeName(name)
			} else if !slices.Contains(allowed, value) {
				return nil, errInvalidAttributeValue(name, "Must be one of "+strings.Join(allowed, ", ")+".")
			}
			out[name] = value
		case "RedrivePolicy":
			if value == "" {
				out[name] = "" // removes it
				continue
			}
			rp, err := parseRedrivePolicy(value)
			if err != nil {
				return nil, err
			}
			out[name] = rp.String()
		case "RedriveAllowPolicy":
			if value == "" {
				out[name] = ""
				continue
			}
			rap, err := parseRedriveAllowPolicy(value)
			if err != nil {
				return nil, err
			}
			out[name] = rap.String()
		case "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds":
			return nil, errUnsupported("SSE-KMS (%s) is not supported by this emulator; use SqsManagedSseEnabled.", name)
		default:
			// Read-only attributes and names SQS does not know.
			return nil, errInvalidAttributeName(name)
		}
	}
	return out, nil
}

// queueInt reads a stored integer attribute, falling back to its default.
func queueInt(q store.Queue, name string) int64 {
	if n, err := strconv.ParseInt(q.Attributes[name], 10, 64); err == nil {
		return n
	}
	return queueIntAttributes[name].def
}

func queueSeconds(q store.Queue, name string) time.Duration {
	return time.Duration(queueInt(q, name)) * time.Second
}

// attributes is an attribute map: a JSON object, and in XML one
// <Attribute><Name/><Value/></Attribute> element per entry, in name order.
type attributes map[string]string

// MarshalXML writes the entries as repeated elements named like start.
func (a attributes) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalXMLEntries(e, start, a)
}

// marshalXMLEntries writes a map as one <start><Name/><Value/></start>
// element per entry, in name order: SQS's XML form of its maps.
func marshalXMLEntries[V any](e *xml.Encoder, start xml.StartElement, m map[string]V) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		entry := struct {
			Name  string
			Value V
		}{k, m[k]}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}

// pickAttributes returns the attributes of all that wanted names ("All":
// every one). Names all does not have are left out, as SQS does.
func pickAttributes(all map[string]string, wanted []string) attributes {
	out := attributes{}
	for _, name := range wanted {
		if name == "All" {
			return all
		}
		if v, ok := all[name]; ok {
			out[name] = v
		}
	}
	return out
}

// --- CreateQueue ---

type createQueueInput struct {
	QueueName  string            `json:"QueueName" query:"QueueName"`
	Attributes map[string]string `json:"Attributes" query:"Attribute,flat,map=Name/Value"`
	Tags       map[string]string `json:"tags" query:"Tag,flat,map=Key/Value"`
}

func (in *createQueueInput) Validate() error {
	if in.QueueName == "" {
		return errMissingParameter("QueueName")
	}
	fifo := strings.HasSuffix(in.QueueName, ".fifo")
	if fifo && !validFIFOQueueName(in.QueueName) {
		return errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	if !fifo && !ValidQueueName(in.QueueName) {
		return errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if v, ok := in.Attributes["FifoQueue"]; fifo && (!ok || !strings.EqualFold(v, "true")) {
		return errInvalidParameterValue("The name of a FIFO queue ends in .fifo and its attributes must set FifoQueue to true.")
	}
	if _, err := normalizeQueueAttributes(in.Attributes, true, fifo); err != nil {
		return err
	}
	return validateTags(in.Tags, 0)
}

// Tag limits of SQS: 50 tags a queue, keys of 1 to 128 characters,
// values of up to 256.
const maxQueueTags = 50

// validateTags checks tags to be added to a queue that has existing tags
// not among them.
func validateTags(tags map[string]string, existing int) error {
	if len(tags)+existing > maxQueueTags {
		return errInvalidParameterValue("Too many tags: a queue can have at most %d.", maxQueueTags)
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return errInvalidParameterValue("Tag keys must be between 1 and 128 characters in length.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidParameterValue("Tag key '%s' is invalid: the aws: prefix is reserved.", truncate(k, 128))
		}
		if utf8.RuneCountInString(v) > 256 {
			return errInvalidParameterValue("Tag values must be at most 256 characters in length.")
		}
	}
	return nil
}

type createQueueResult struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

// queueDeletedWait is how long SQS refuses to re-create a deleted queue's name.
const queueDeletedWait = 60 * time.Second

func (s *Service) createQueue(ctx context.Context, c *pipeline.Call, in *createQueueInput) (*createQueueResult, error) {
	if !validQueueRegion(c.Region) {
		return nil, errInvalidParameterValue("The request is signed for region '%s', which is not a region name.", truncate(c.Region, 64))
	}
	fifo := strings.HasSuffix(in.QueueName, ".fifo")
	given, err := normalizeQueueAttributes(in.Attributes, true, fifo)
	if err != nil {
		return nil, err
	}
	attrs := DefaultQueueAttributes()
	if fifo {
		maps.Copy(attrs, defaultFIFOAttributes)
	}
	maps.Copy(attrs, given)
	for _, name := range []string{"Policy", "RedrivePolicy", "RedriveAllowPolicy"} {
		if attrs[name] == "" {
			delete(attrs, name)
		}
	}
	if err := checkFIFOThroughput(attrs); err != nil {
		return nil, err
	}
	ref := store.QueueRef{AccountID: c.ID.AccountID, Region: c.Region, Name: in.QueueName}
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := tx.QueueRecord(ref)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case existing.Deleted():
			if tx.Now().Before(existing.DeletedAt.Add(queueDeletedWait)) {
				return sqsError(http.StatusBadRequest, "QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
					"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
			}
		default:
			// Same name and the same attributes: the existing queue.
			for _, name := range slices.Sorted(maps.Keys(union(existing.Attributes, attrs))) {
				if existing.Attributes[name] != attrs[name] {
					return sqsError(http.StatusBadRequest, "QueueNameExists", "QueueAlreadyExists",
						"A queue already exists with the same name and a different value for attribute %s", name)
				}
			}
			return nil
		}
		q := store.Queue{QueueRef: ref, Attributes: attrs, Tags: in.Tags, CreatedAt: tx.Now(), ModifiedAt: tx.Now()}
		if err := applyRedrivePolicy(tx, &q); err != nil {
			return err
		}
		return tx.PutQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &createQueueResult{QueueURL: queueURLOf(c, ref)}, nil
}

// union is a new map with a's entries overlaid by b's.
func union(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, b)
	return m
}

// --- GetQueueUrl ---

type getQueueUrlInput struct {
	QueueName              string `json:"QueueName" query:"QueueName"`
	QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId" query:"QueueOwnerAWSAccountId"`
}

func (in *getQueueUrlInput) Validate() error {
	if in.QueueName == "" {
		return errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountID != "" && !pipeline.AccountIDPattern.MatchString(in.QueueOwnerAWSAccountID) {
		return errInvalidParameterValue("Value %s for parameter QueueOwnerAWSAccountId is invalid. Reason: Must be a 12-digit account ID.",
			truncate(in.QueueOwnerAWSAccountID, 64))
	}
	return nil
}

func getQueueUrlRef(c *pipeline.Call, in *getQueueUrlInput) store.QueueRef {
	owner := in.QueueOwnerAWSAccountID
	if owner == "" {
		owner = c.ID.AccountID
	}
	return store.QueueRef{AccountID: owner, Region: c.Region, Name: in.QueueName}
}

type getQueueUrlResult struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

func (s *Service) getQueueUrl(ctx context.Context, c *pipeline.Call, in *getQueueUrlInput) (*getQueueUrlResult, error) {
	ref := getQueueUrlRef(c, in)
	if _, err := s.store.Queue(ctx, ref); errors.Is(err, store.ErrNotFound) {
		return nil, errQueueDoesNotExist()
	} else if err != nil {
		return nil, err
	}
	return &getQueueUrlResult{QueueURL: queueURLOf(c, ref)}, nil
}

// --- ListQueues ---

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix" query:"QueueNamePrefix"`
	NextToken       string `json:"NextToken" query:"NextToken"`
	MaxResults      *int32 `json:"MaxResults" query:"MaxResults"`
}

func (in *listQueuesInput) Validate() error {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
		return errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults)
	}
	return nil
}

type listQueuesResult struct {
	QueueURLs []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:",omitempty"`
}

// listQueuesMax is how many queue URLs ListQueues returns at most.
const listQueuesMax = 1000

func (s *Service) listQueues(ctx context.Context, c *pipeline.Call, in *listQueuesInput) (*listQueuesResult, error) {
	max := listQueuesMax
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
	}
	var page []string
	var next string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		page, next, err = pipeline.PageByCursor(in.QueueNamePrefix, in.NextToken, max, func(after string, limit int) ([]string, string, error) {
			queues, next, err := tx.QueuesPage(c.ID.AccountID, c.Region, in.QueueNamePrefix, after, limit)
			urls := make([]string, len(queues))
			for i, q := range queues {
				urls[i] = queueURLOf(c, q.QueueRef)
			}
			return urls, next, err
		})
		return err
	})
	if errors.Is(err, pipeline.ErrInvalidToken) {
		return nil, errInvalidParameterValue("Invalid NextToken value.")
	} else if err != nil {
		return nil, err
	}
	if in.MaxResults == nil {
		next = "" // SQS paginates only when asked to (MaxResults)
	}
	return &listQueuesResult{QueueURLs: page, NextToken: next}, nil
}

// --- DeleteQueue ---

type deleteQueueInput struct {
	QueueURL string `json:"QueueUrl" query:"QueueUrl"`
}

func (in *deleteQueueInput) queueURLMember() *string { return &in.QueueURL }

func (s *Service) deleteQueue(ctx context.Context, c *pipeline.Call, in *deleteQueueInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		return tx.DeleteQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// inQueue runs fn on a live queue in one transaction of txn;
// QueueDoesNotExist when there is no such queue.
func inQueue(ctx context.Context, txn pipeline.TxnFunc, ref store.QueueRef, fn func(*store.Tx, store.Queue) error) error {
	return txn(ctx, func(tx *store.Tx) error {
		q, err := tx.Queue(ref)
		if errors.Is(err, store.ErrNotFound) {
			return errQueueDoesNotExist()
		} else if err != nil {
			return err
		}
		return fn(tx, q)
	})
}

// --- GetQueueAttributes ---

type getQueueAttributesInput struct {
	QueueURL       string   `json:"QueueUrl" query:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames" query:"AttributeName,flat"`
}

func (in *getQueueAttributesInput) queueURLMember() *string { return &in.QueueURL }

func (in *getQueueAttributesInput) Validate() error {
	for _, name := range in.AttributeNames {
		if !slices.Contains(queueAttributeNames, name) {
			return errInvalidAttributeName(truncate(name, 128))
		}
	}
	return nil
}

type getQueueAttributesResult struct {
	Attributes attributes `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
}

func (s *Service) getQueueAttributes(ctx context.Context, c *pipeline.Call, in *getQueueAttributesInput) (*getQueueAttributesResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	var q store.Queue
	var counts store.MessageCounts
	err = inQueue(ctx, s.store.View, ref, func(tx *store.Tx, live store.Queue) error {
		q = live
		var err error
		counts, err = tx.QueueMessageCounts(ref, queueSeconds(q, "MessageRetentionPeriod"))
		return err
	})
	if err != nil {
		return nil, err
	}
	all := union(q.Attributes, nil)
	all["QueueArn"] = QueueARN(ref)
	all["CreatedTimestamp"] = strconv.FormatInt(q.CreatedAt.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.ModifiedAt.Unix(), 10)
	all["ApproximateNumberOfMessages"] = strconv.Itoa(counts.Visible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(counts.NotVisible)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(counts.Delayed)
	// Attributes the queue does not have (Policy when unset, FIFO ones)
	// are left out.
	return &getQueueAttributesResult{Attributes: pickAttributes(all, in.AttributeNames)}, nil
}

// --- SetQueueAttributes ---

type setQueueAttributesInput struct {
	QueueURL   string            `json:"QueueUrl" query:"QueueUrl"`
	Attributes map[string]string `json:"Attributes" query:"Attribute,flat,map=Name/Value"`
}

func (in *setQueueAttributesInput) queueURLMember() *string { return &in.QueueURL }

func (in *setQueueAttributesInput) Validate() error {
	// The attributes are checked against the queue's kind in the handler.
	if len(in.Attributes) == 0 {
		return errMissingParameter("Attributes")
	}
	return nil
}

func (s *Service) setQueueAttributes(ctx context.Context, c *pipeline.Call, in *setQueueAttributesInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		attrs, err := normalizeQueueAttributes(in.Attributes, false, isFIFO(q))
		if err != nil {
			return err
		}
		q.Attributes = maps.Clone(q.Attributes)
		if q.Attributes == nil {
			q.Attributes = DefaultQueueAttributes()
		}
		for name, value := range attrs {
			if value == "" && (name == "Policy" || name == "RedrivePolicy" || name == "RedriveAllowPolicy") {
				delete(q.Attributes, name) // an empty value removes it
				continue
			}
			q.Attributes[name] = value
		}
		if err := checkFIFOThroughput(q.Attributes); err != nil {
			return err
		}
		if err := applyRedrivePolicy(tx, &q); err != nil {
			return err
		}
		q.ModifiedAt = tx.Now()
		return tx.PutQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// messageAttributeValue is the MessageAttributeValue shape. Binary values
// travel base64-encoded in both protocols. The list members are "reserved
// for future use" by SQS and not read.
type messageAttributeValue struct {
	StringValue *string `json:"StringValue,omitempty" xml:",omitempty"`
	BinaryValue *string `json:"BinaryValue,omitempty" xml:",omitempty"`
	DataType    string  `json:"DataType"`
}

// messageAttributeMap is a message's attributes: a JSON object, and in XML
// one <MessageAttribute><Name/><Value>…</Value></MessageAttribute> per
// entry, in name order.
type messageAttributeMap map[string]messageAttributeValue

// MarshalXML writes the entries as repeated elements named like start.
func (a messageAttributeMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalXMLEntries(e, start, a)
}

// queryMessageAttributes reads <prefix>MessageAttribute.N.Name and
// <prefix>MessageAttribute.N.Value.{DataType,StringValue,BinaryValue} from
// a query-protocol form, N counting from 1 without gaps (prefix is "" for
// SendMessage, "SendMessageBatchRequestEntry.M." for a batch entry).
func queryMessageAttributes(form url.Values, entryPrefix string) messageAttributeMap {
	var m messageAttributeMap
	for n := 1; ; n++ {
		prefix := entryPrefix + "MessageAttribute." + strconv.Itoa(n) + "."
		if !form.Has(prefix + "Name") {
			return m
		}
		v := messageAttributeValue{DataType: form.Get(prefix + "Value.DataType")}
		if form.Has(prefix + "Value.StringValue") {
			v.StringValue = new(form.Get(prefix + "Value.StringValue"))
		}
		if form.Has(prefix + "Value.BinaryValue") {
			v.BinaryValue = new(form.Get(prefix + "Value.BinaryValue"))
		}
		if m == nil {
			m = messageAttributeMap{}
		}
		m[form.Get(prefix+"Name")] = v
	}
}

// validMessageAttributeName is ^[A-Za-z0-9_.-]{1,256}$ (the other rules
// on attribute names are checked beside it).
func validMessageAttributeName(name string) bool { return attributeNameChars.Match(name, 1, 256) }

// maxMessageAttributes is how many attributes a message may carry.
const maxMessageAttributes = 10

// storedMessageAttributes validates message attributes as SQS does and
// returns them in stored form, with their size for the message size limit.
func storedMessageAttributes(in messageAttributeMap) (map[string]store.MessageAttribute, int64, error) {
	if len(in) > maxMessageAttributes {
		return nil, 0, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxMessageAttributes)
	}
	var size int64
	out := make(map[string]store.MessageAttribute, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		v := in[name]
		shown := truncate(name, 256)
		lower := strings.ToLower(name)
		if !validMessageAttributeName(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return nil, 0, errInvalidParameterValue("Message attribute name '%s' is invalid: use up to 256 of A-Z a-z 0-9 _ - . (no leading, trailing or double '.', no AWS. or Amazon. prefix).", shown)
		}
		if v.DataType == "" {
			return nil, 0, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", shown)
		}
		base, _, _ := strings.Cut(v.DataType, ".")
		a := store.MessageAttribute{DataType: v.DataType}
		switch base {
		case "String", "Number":
			if v.StringValue == nil || *v.StringValue == "" || v.BinaryValue != nil {
				return nil, 0, errInvalidParameterValue("The message attribute '%s' with type '%s' must contain a non-empty StringValue and no BinaryValue.", shown, base)
			}
			if !validMessageBody(*v.StringValue) {
				return nil, 0, errInvalidParameterValue("The message attribute '%s' contains characters outside the allowed set.", shown)
			}
			if _, err := strconv.ParseFloat(*v.StringValue, 64); base == "Number" && err != nil {
				return nil, 0, errInvalidParameterValue("Can't cast the value of message (user) attribute '%s' to a number.", shown)
			}
			a.StringValue = *v.StringValue
		case "Binary":
			if v.BinaryValue == nil || v.StringValue != nil {
				return nil, 0, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must contain a non-empty BinaryValue and no StringValue.", shown)
			}
			b, err := base64.StdEncoding.DecodeString(*v.BinaryValue)
			if err != nil || len(b) == 0 {
				return nil, 0, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must contain a non-empty base64-encoded BinaryValue.", shown)
			}
			a.BinaryValue = b
		default:
			return nil, 0, errInvalidParameterValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", shown)
		}
		size += int64(len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue))
		out[name] = a
	}
	return out, size, nil
}

// md5OfMessageAttributes is SQS's digest of message attributes: for each
// attribute in name order, the length-prefixed (4 bytes, big-endian) name
// and data type, a transport byte (1 string, 2 binary) and the
// length-prefixed value. Empty for no attributes.
func md5OfMessageAttributes(attrs map[string]store.MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	put := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		h.Write(b)
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[name]
		put([]byte(name))
		put([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wireMessageAttributes is the stored attributes in their wire shape.
func wireMessageAttributes(attrs map[string]store.MessageAttribute) messageAttributeMap {
	if len(attrs) == 0 {
		return nil
	}
	out := make(messageAttributeMap, len(attrs))
	for name, a := range attrs {
		v := messageAttributeValue{DataType: a.DataType}
		if strings.HasPrefix(a.DataType, "Binary") {
			v.BinaryValue = new(base64.StdEncoding.EncodeToString(a.BinaryValue))
		} else {
			v.StringValue = new(a.StringValue)
		}
		out[name] = v
	}
	return out
}

// validMessageBody applies SQS's character rule: XML characters only.
func validMessageBody(body string) bool {
	for i, r := range body {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(body[i:]); size <= 1 {
				return false
			}
		}
		ok := r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok {
			return false
		}
	}
	return true
}

// receiptHandlePrefix versions the receipt handle format.
const receiptHandlePrefix = "r1"

// encodeReceiptHandle makes the opaque handle of one receive of a message:
// the queue, the message's number and the receive's own id.
func encodeReceiptHandle(ref store.QueueRef, seq uint64, receipt string) string {
	raw := strings.Join([]string{receiptHandlePrefix, ref.String(), strconv.FormatUint(seq, 10), receipt}, "\x00")
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeReceiptHandle reads a handle issued for the queue ref.
func decodeReceiptHandle(ref store.QueueRef, handle string) (seq uint64, receipt string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil {
		return 0, "", false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 4 || parts[0] != receiptHandlePrefix || parts[1] != ref.String() || parts[3] == "" {
		return 0, "", false
	}
	seq, err = strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return seq, parts[3], true
}

// --- DeleteMessage ---

type deleteMessageInput struct {
	QueueURL      string `json:"QueueUrl" query:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle" query:"ReceiptHandle"`
}

func (in *deleteMessageInput) queueURLMember() *string { return &in.QueueURL }

func (in *deleteMessageInput) Validate() error {
	if in.ReceiptHandle == "" {
		return errMissingParameter("ReceiptHandle")
	}
	return nil
}

// deleteMessage deletes a received message (see deleteByHandle).
func (s *Service) deleteMessage(ctx context.Context, c *pipeline.Call, in *deleteMessageInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, _ store.Queue) error {
		return deleteByHandle(tx, ref, in.ReceiptHandle)
	})
	if err != nil {
		return nil, err
	}
	s.arrivals.announce(ref) // a FIFO group may be free again
	return &pipeline.NoOutput{}, nil
}
