// Package sqs serves Amazon SQS over AWS JSON 1.0 and the legacy query
// protocol: queues, their policies and messages.
package sqs

import (
	"log/slog"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Info is SQS's wire identity, from its service model.
var Info = &pipeline.Service{Name: "sqs", Version: "2012-11-05", XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
	TargetPrefix: "AmazonSQS", JSONProtocol: pipeline.ProtoJSON10,
	// A batch of ten 1 MiB-bodies is refused as BatchRequestTooLong, not
	// cut off as a body too large: bodies travel escaped (JSON, forms).
	BodyLimit: 4 << 20}

// Service holds what the handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
	// arrivals wakes long polls; stopping ends them when the server stops.
	arrivals *arrivals
	stopping <-chan struct{}
}

// New returns the service over the world in d.
func New(d pipeline.Deps) *Service {
	return &Service{store: d.Store, clock: d.Clock, log: d.Log, arrivals: newArrivals(), stopping: d.Stopping}
}

// Operations are the service's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		pipeline.Op(Info, s, "CreateQueue", "sqs:CreateQueue", createQueueTarget, (*Service).createQueue),
		pipeline.Op(Info, s, "GetQueueUrl", "sqs:GetQueueUrl", getQueueUrlTarget, (*Service).getQueueUrl),
		pipeline.Op(Info, s, "ListQueues", "sqs:ListQueues", nil, (*Service).listQueues),
		pipeline.Op(Info, s, "DeleteQueue", "sqs:DeleteQueue", queueTarget[deleteQueueInput], (*Service).deleteQueue),
		pipeline.Op(Info, s, "GetQueueAttributes", "sqs:GetQueueAttributes", queuePolicyTarget[getQueueAttributesInput], (*Service).getQueueAttributes),
		pipeline.Op(Info, s, "SetQueueAttributes", "sqs:SetQueueAttributes", queuePolicyTarget[setQueueAttributesInput], (*Service).setQueueAttributes),
		pipeline.DataEvent(pipeline.Op(Info, s, "SendMessage", "sqs:SendMessage", queueTarget[sendMessageInput], (*Service).sendMessage)),
		pipeline.DataEvent(pipeline.Op(Info, s, "ReceiveMessage", "sqs:ReceiveMessage", queueTarget[receiveMessageInput], (*Service).receiveMessage)),
		pipeline.DataEvent(pipeline.Op(Info, s, "DeleteMessage", "sqs:DeleteMessage", queueTarget[deleteMessageInput], (*Service).deleteMessage)),
		pipeline.DataEvent(pipeline.Op(Info, s, "SendMessageBatch", "sqs:SendMessage", queueTarget[sendMessageBatchInput], (*Service).sendMessageBatch)),
		pipeline.DataEvent(pipeline.Op(Info, s, "DeleteMessageBatch", "sqs:DeleteMessage", queueTarget[deleteMessageBatchInput], (*Service).deleteMessageBatch)),
		pipeline.DataEvent(pipeline.Op(Info, s, "ChangeMessageVisibility", "sqs:ChangeMessageVisibility", queueTarget[changeMessageVisibilityInput], (*Service).changeMessageVisibility)),
		pipeline.DataEvent(pipeline.Op(Info, s, "ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility", queueTarget[changeMessageVisibilityBatchInput], (*Service).changeMessageVisibilityBatch)),
		pipeline.Op(Info, s, "PurgeQueue", "sqs:PurgeQueue", queueTarget[purgeQueueInput], (*Service).purgeQueue),
		pipeline.Op(Info, s, "TagQueue", "sqs:TagQueue", queueTarget[tagQueueInput], (*Service).tagQueue),
		pipeline.Op(Info, s, "UntagQueue", "sqs:UntagQueue", queueTarget[untagQueueInput], (*Service).untagQueue),
		pipeline.Op(Info, s, "ListQueueTags", "sqs:ListQueueTags", queueTarget[listQueueTagsInput], (*Service).listQueueTags),
		pipeline.Op(Info, s, "ListDeadLetterSourceQueues", "sqs:ListDeadLetterSourceQueues", queueTarget[listDeadLetterSourceQueuesInput], (*Service).listDeadLetterSourceQueues),
	}
}
