package cloudtrail

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// HistoryRetention is how far back event history goes, in emulated time.
const HistoryRetention = 90 * 24 * time.Hour

// lookupKeys are the model's LookupAttributeKey values.
var lookupKeys = []string{store.AttrEventID, store.AttrEventName, store.AttrReadOnly, store.AttrUsername,
	store.AttrResourceType, store.AttrResourceName, store.AttrEventSource, store.AttrAccessKeyID}

type lookupAttribute struct {
	AttributeKey   string
	AttributeValue string
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute
	StartTime        *float64
	EndTime          *float64
	EventCategory    string
	MaxResults       *int
	NextToken        string
}

func (in *lookupEventsInput) Validate() error {
	if len(in.LookupAttributes) > 1 {
		return clientError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
	}
	for _, a := range in.LookupAttributes {
		if !slices.Contains(lookupKeys, a.AttributeKey) {
			return clientError("InvalidLookupAttributesException",
				"The attribute key %q is not valid. Valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.", a.AttributeKey)
		}
		if a.AttributeValue == "" || len(a.AttributeValue) > 2000 {
			return clientError("InvalidLookupAttributesException", "The attribute value for %s must be between 1 and 2000 characters.", a.AttributeKey)
		}
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 50) {
		return clientError("InvalidMaxResultsException", "MaxResults must be between 1 and 50, got %d.", *in.MaxResults)
	}
	if in.StartTime != nil && in.EndTime != nil && *in.StartTime > *in.EndTime {
		return clientError("InvalidTimeRangeException", "The start time must not be after the end time.")
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return clientError("InvalidEventCategoryException", "The event category %q is not valid; the only valid category is insight.", in.EventCategory)
	}
	return nil
}

type resourceShape struct {
	ResourceType string `json:",omitempty"`
	ResourceName string `json:",omitempty"`
}

type eventShape struct {
	EventId         string
	EventName       string
	ReadOnly        string
	AccessKeyId     string `json:",omitempty"`
	EventTime       pipeline.EpochTime
	EventSource     string
	Username        string `json:",omitempty"`
	Resources       []resourceShape
	CloudTrailEvent string
}

type lookupEventsOutput struct {
	Events    []eventShape
	NextToken string `json:",omitempty"`
}

func epoch(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

// lookupEvents pages the caller's account's event history, newest first.
// Records of reads are batched: they are committed before the lookup so that
// a call is in history as soon as it has been answered.
func (s *Service) lookupEvents(ctx context.Context, c *pipeline.Call, in *lookupEventsInput) (*lookupEventsOutput, error) {
	out := &lookupEventsOutput{Events: []eventShape{}}
	if in.EventCategory == "insight" {
		return out, nil // the emulator raises no Insights events
	}
	if s.audit != nil {
		if err := s.audit.Flush(ctx); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	q := store.EventQuery{Account: c.ID.AccountID, Start: now.Add(-HistoryRetention), End: now, Max: 50, Cursor: in.NextToken}
	if in.StartTime != nil && epoch(*in.StartTime).After(q.Start) {
		q.Start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = epoch(*in.EndTime)
	}
	if in.MaxResults != nil {
		q.Max = *in.MaxResults
	}
	if len(in.LookupAttributes) == 1 {
		q.Attribute, q.Value = in.LookupAttributes[0].AttributeKey, in.LookupAttributes[0].AttributeValue
	}
	events, next, err := s.store.LookupEvents(ctx, q)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, clientError("InvalidNextTokenException", "The NextToken is not valid for this request.")
	}
	if err != nil {
		return nil, err
	}
	for _, ev := range events {
		e := eventShape{EventId: ev.ID, EventName: ev.Name, ReadOnly: boolString(ev.ReadOnly), AccessKeyId: ev.AccessKeyID,
			EventTime: pipeline.EpochTime(ev.Time.Truncate(time.Second)), EventSource: ev.Source, Username: ev.Username,
			Resources: []resourceShape{}, CloudTrailEvent: string(ev.Record)}
		for _, r := range ev.Resources {
			e.Resources = append(e.Resources, resourceShape{ResourceType: r.Type, ResourceName: r.Name})
		}
		out.Events = append(out.Events, e)
	}
	out.NextToken = next
	return out, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
