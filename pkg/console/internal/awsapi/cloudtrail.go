package awsapi

import (
	"context"
	"time"
)

// LookupAttribute is LookupEvents' filter: AttributeKey is one of
// EventName, Username, AccessKeyId, … (the model's LookupAttributeKey).
type LookupAttribute struct {
	AttributeKey   string
	AttributeValue string
}

// Event is one event of LookupEvents.
type Event struct {
	EventID     string
	EventName   string
	EventTime   time.Time
	EventSource string
	Username    string
	AccessKeyID string
	// CloudTrailEvent is the whole record, as a JSON document.
	CloudTrailEvent string
}

// LookupEvents returns the first page, of at most maxResults (1–50),
// of the caller's account's events, newest first, filtered by the
// attributes (CloudTrail takes at most one).
func (c *Client) LookupEvents(ctx context.Context, maxResults int, attributes ...LookupAttribute) ([]Event, error) {
	in := struct {
		LookupAttributes []LookupAttribute `json:",omitempty"`
		MaxResults       int               `json:",omitempty"`
	}{attributes, maxResults}
	var out struct {
		Events []struct {
			EventID         string `json:"EventId"`
			EventName       string
			EventTime       epochSeconds
			EventSource     string
			Username        string
			AccessKeyID     string `json:"AccessKeyId"`
			CloudTrailEvent string
		}
	}
	if err := c.call(ctx, cloudTrailService, "LookupEvents", in, &out); err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(out.Events))
	for _, e := range out.Events {
		events = append(events, Event{EventID: e.EventID, EventName: e.EventName, EventTime: time.Time(e.EventTime),
			EventSource: e.EventSource, Username: e.Username, AccessKeyID: e.AccessKeyID, CloudTrailEvent: e.CloudTrailEvent})
	}
	return events, nil
}
