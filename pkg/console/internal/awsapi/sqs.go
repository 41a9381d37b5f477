package awsapi

import "context"

func (c *Client) sqs(ctx context.Context, op string, in, out any) error {
	return c.call(ctx, sqsService, op, in, out)
}

// ListQueues lists the URLs of the caller's account's queues (SQS's first
// page, which without MaxResults holds up to 1000).
func (c *Client) ListQueues(ctx context.Context) ([]string, error) {
	var out struct{ QueueUrls []string }
	err := c.sqs(ctx, "ListQueues", nil, &out)
	return out.QueueUrls, err
}

// GetQueueAttributes reads the named attributes of the queue at queueURL.
func (c *Client) GetQueueAttributes(ctx context.Context, queueURL string, names ...string) (map[string]string, error) {
	in := struct {
		QueueURL       string   `json:"QueueUrl"`
		AttributeNames []string `json:",omitempty"`
	}{queueURL, names}
	var out struct{ Attributes map[string]string }
	err := c.sqs(ctx, "GetQueueAttributes", in, &out)
	return out.Attributes, err
}

// SetQueueAttributes sets attributes of the queue at queueURL (an empty
// Policy removes the queue's policy).
func (c *Client) SetQueueAttributes(ctx context.Context, queueURL string, attributes map[string]string) error {
	in := struct {
		QueueURL   string `json:"QueueUrl"`
		Attributes map[string]string
	}{queueURL, attributes}
	return c.sqs(ctx, "SetQueueAttributes", in, nil)
}
