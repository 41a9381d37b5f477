package sqs

import (
	"context"
	"encoding/xml"
	"maps"
	"slices"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// isFIFO reports whether q is a FIFO queue.
func isFIFO(q store.Queue) bool { return q.Attributes["FifoQueue"] == "true" }

// checkFIFOThroughput applies SQS's rule for high-throughput FIFO queues:
// a per-group throughput limit needs deduplication per group.
func checkFIFOThroughput(attrs map[string]string) error {
	if attrs["FifoThroughputLimit"] == "perMessageGroupId" && attrs["DeduplicationScope"] != "messageGroup" {
		return errInvalidAttributeValue("FifoThroughputLimit", "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.")
	}
	return nil
}

// tagMap is a queue's tags: a JSON object, and in XML one
// <Tag><Key/><Value/></Tag> per tag, in key order.
type tagMap map[string]string

// MarshalXML writes the tags as repeated elements named like start.
func (m tagMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		entry := struct {
			Key   string
			Value string
		}{k, m[k]}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}

// --- TagQueue ---

type tagQueueInput struct {
	QueueURL string            `json:"QueueUrl" query:"QueueUrl"`
	Tags     map[string]string `json:"Tags" query:"Tag,flat,map=Key/Value"`
}

func (in *tagQueueInput) queueURLMember() *string { return &in.QueueURL }

func (in *tagQueueInput) Validate() error {
	if len(in.Tags) == 0 {
		return errMissingParameter("Tags")
	}
	return validateTags(in.Tags, 0)
}

func (s *Service) tagQueue(ctx context.Context, c *pipeline.Call, in *tagQueueInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		others := 0
		for k := range q.Tags {
			if _, replaced := in.Tags[k]; !replaced {
				others++
			}
		}
		if err := validateTags(in.Tags, others); err != nil {
			return err
		}
		q.Tags = maps.Clone(q.Tags)
		if q.Tags == nil {
			q.Tags = map[string]string{}
		}
		maps.Copy(q.Tags, in.Tags)
		return tx.PutQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// --- UntagQueue ---

type untagQueueInput struct {
	QueueURL string   `json:"QueueUrl" query:"QueueUrl"`
	TagKeys  []string `json:"TagKeys" query:"TagKey,flat"`
}

func (in *untagQueueInput) queueURLMember() *string { return &in.QueueURL }

func (in *untagQueueInput) Validate() error {
	if len(in.TagKeys) == 0 {
		return errMissingParameter("TagKeys")
	}
	return nil
}

// untagQueue removes the keys; keys the queue does not have are ignored.
func (s *Service) untagQueue(ctx context.Context, c *pipeline.Call, in *untagQueueInput) (*pipeline.NoOutput, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	err = inQueue(ctx, s.store.Update, ref, func(tx *store.Tx, q store.Queue) error {
		q.Tags = maps.Clone(q.Tags)
		for _, k := range in.TagKeys {
			delete(q.Tags, k)
		}
		return tx.PutQueue(q)
	})
	if err != nil {
		return nil, err
	}
	return &pipeline.NoOutput{}, nil
}

// --- ListQueueTags ---

type listQueueTagsInput struct {
	QueueURL string `json:"QueueUrl" query:"QueueUrl"`
}

func (in *listQueueTagsInput) queueURLMember() *string { return &in.QueueURL }

type listQueueTagsResult struct {
	Tags tagMap `json:"Tags,omitempty" xml:"Tag,omitempty"`
}

func (s *Service) listQueueTags(ctx context.Context, c *pipeline.Call, in *listQueueTagsInput) (*listQueueTagsResult, error) {
	ref, err := queueRefOf(c, &in.QueueURL)
	if err != nil {
		return nil, err
	}
	var tags map[string]string
	err = inQueue(ctx, s.store.View, ref, func(_ *store.Tx, q store.Queue) error {
		tags = q.Tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &listQueueTagsResult{Tags: tags}, nil
}
