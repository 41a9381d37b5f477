package sqs

// Dead-letter queues: a queue's RedrivePolicy names the queue its messages
// move to after maxReceiveCount receives; the dead-letter queue's
// RedriveAllowPolicy says which queues may name it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// redrivePolicy is a RedrivePolicy attribute.
type redrivePolicy struct {
	DeadLetterTargetARN string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// String is the policy as GetQueueAttributes returns it.
func (p redrivePolicy) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// parseRedrivePolicy reads a RedrivePolicy: a JSON object with
// deadLetterTargetArn and maxReceiveCount (1 to 1000; a number, or a
// string holding one, as SQS accepts both).
func parseRedrivePolicy(value string) (redrivePolicy, error) {
	invalid := func(reason string) error { return errInvalidAttributeValue("RedrivePolicy", reason) }
	var raw struct {
		DeadLetterTargetARN *string         `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return redrivePolicy{}, invalid("Redrive policy is not a valid JSON map of deadLetterTargetArn and maxReceiveCount.")
	}
	if raw.DeadLetterTargetARN == nil {
		return redrivePolicy{}, invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if len(raw.MaxReceiveCount) == 0 {
		return redrivePolicy{}, invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	count := string(bytes.Trim(raw.MaxReceiveCount, `"`))
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > 1000 {
		return redrivePolicy{}, invalid("Invalid value for maxReceiveCount: " + truncate(count, 32) + ", valid values are from 1 to 1000 both inclusive.")
	}
	if _, ok := queueRefOfARN(*raw.DeadLetterTargetARN); !ok {
		return redrivePolicy{}, invalid("Invalid value for deadLetterTargetArn.")
	}
	return redrivePolicy{DeadLetterTargetARN: *raw.DeadLetterTargetARN, MaxReceiveCount: n}, nil
}

// queueRefOfARN reads arn:aws:sqs:<region>:<account>:<name>.
func queueRefOfARN(arn string) (store.QueueRef, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "sqs" ||
		!validQueueRegion(parts[3]) || !pipeline.AccountIDPattern.MatchString(parts[4]) ||
		!(ValidQueueName(parts[5]) || validFIFOQueueName(parts[5])) {
		return store.QueueRef{}, false
	}
	return store.QueueRef{Region: parts[3], AccountID: parts[4], Name: parts[5]}, true
}

// redriveAllowPolicy is a RedriveAllowPolicy attribute.
type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueARNs   []string `json:"sourceQueueArns,omitempty"`
}

func (p redriveAllowPolicy) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// parseRedriveAllowPolicy reads a RedriveAllowPolicy: redrivePermission
// allowAll (the default), denyAll, or byQueue with 1 to 10 sourceQueueArns.
func parseRedriveAllowPolicy(value string) (redriveAllowPolicy, error) {
	invalid := func(reason string) error { return errInvalidAttributeValue("RedriveAllowPolicy", reason) }
	var p redriveAllowPolicy
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, invalid("Redrive allow policy is not a valid JSON map of redrivePermission and sourceQueueArns.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueARNs) > 0 {
			return p, invalid("sourceQueueArns may only be given with redrivePermission byQueue.")
		}
	case "byQueue":
		if len(p.SourceQueueARNs) < 1 || len(p.SourceQueueARNs) > 10 {
			return p, invalid("redrivePermission byQueue needs from 1 to 10 sourceQueueArns.")
		}
		for _, arn := range p.SourceQueueARNs {
			if _, ok := queueRefOfARN(arn); !ok {
				return p, invalid("Invalid value for sourceQueueArns: " + truncate(arn, 256) + ".")
			}
		}
	default:
		return p, invalid("redrivePermission must be allowAll, denyAll or byQueue.")
	}
	return p, nil
}

// applyRedrivePolicy sets q's dead-letter target from its RedrivePolicy
// (none without one), checking that the target exists in the same account
// and region, is of the same kind (standard or FIFO), is not q itself, and
// lets q redrive to it.
func applyRedrivePolicy(tx *store.Tx, q *store.Queue) error {
	q.DeadLetterTarget = nil
	value, ok := q.Attributes["RedrivePolicy"]
	if !ok {
		return nil
	}
	rp, err := parseRedrivePolicy(value)
	if err != nil {
		return err
	}
	invalid := func(reason string) error { return errInvalidAttributeValue("RedrivePolicy", reason) }
	target, _ := queueRefOfARN(rp.DeadLetterTargetARN)
	if target.AccountID != q.AccountID || target.Region != q.Region {
		return invalid("Dead-letter target must be in the same account and region as the source queue.")
	}
	if target == q.QueueRef {
		return invalid("A queue cannot be its own dead-letter queue.")
	}
	dlq, err := tx.Queue(target)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("Dead letter target does not exist.")
	} else if err != nil {
		return err
	}
	if isFIFO(dlq) != isFIFO(*q) {
		return invalid("Dead-letter queue must be of the same type as the source queue (FIFO or standard).")
	}
	if v, ok := dlq.Attributes["RedriveAllowPolicy"]; ok {
		rap, err := parseRedriveAllowPolicy(v)
		if err != nil {
			return err
		}
		arn := QueueARN(q.QueueRef)
		if rap.RedrivePermission == "denyAll" || (rap.RedrivePermission == "byQueue" && !slices.Contains(rap.SourceQueueARNs, arn)) {
			return invalid("The dead-letter queue's RedriveAllowPolicy does not allow " + arn + " as a source queue.")
		}
	}
	q.DeadLetterTarget = &target
	return nil
}

// --- ListDeadLetterSourceQueues ---

type listDeadLetterSourceQueuesInput struct {
	QueueURL   string `json:"QueueUrl" query:"QueueUrl"`
	NextToken  string `json:"NextToken" query:"NextToken"`
	MaxResults *int32 `json:"MaxResults" query:"MaxResults"`
}

func (in *listDeadLetterSourceQueuesInput) queueURLMember() *string { return &in.QueueURL }

func (in *listDeadLetterSourceQueuesInput) Validate() error {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
		return errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults)
	}
	return nil
}

type listDeadLetterSourceQueuesResult struct {
	QueueURLs []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:",omitempty"`
}

func (s *Service) listDeadLetterSourceQueues(ctx context.Context, c *pipeline.Call, in *listDeadLetterSourceQueuesInput) (*listDeadLetterSourceQueuesResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	var urls []string
	err = inQueue(ctx, s.store.View, ref, func(tx *store.Tx, _ store.Queue) error {
		sources, err := tx.DeadLetterSourceQueues(ref)
		urls = urls[:0]
		for _, src := range sources {
			urls = append(urls, queueURLOf(c, src))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	max := listQueuesMax
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
	}
	page, next, err := pipeline.PaginateScoped(urls, ref.String(), in.NextToken, max)
	if errors.Is(err, pipeline.ErrInvalidToken) {
		return nil, errInvalidParameterValue("Invalid NextToken value.")
	} else if err != nil {
		return nil, err
	}
	if in.MaxResults == nil {
		next = ""
	}
	if page == nil {
		page = []string{}
	}
	return &listDeadLetterSourceQueuesResult{QueueURLs: page, NextToken: next}, nil
}
