// Package cloudtrail serves AWS CloudTrail (JSON 1.1): event history
// (LookupEvents over the records the pipeline writes for every call),
// trails with their event selectors, organization trails, and the delivery
// of a logging trail's log files into its S3 bucket.
package cloudtrail

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Info is CloudTrail's wire identity, from its service model.
var Info = &pipeline.Service{Name: "cloudtrail", TargetPrefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
	TargetAliases: []string{"CloudTrail_20131101"}, JSONProtocol: pipeline.ProtoJSON11, StoreError: storeError}

// Service holds what the handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
	audit *pipeline.Recorder
}

// New returns the service over the world in d.
func New(d pipeline.Deps) *Service {
	return &Service{store: d.Store, clock: d.Clock, log: d.Log, audit: d.Audit}
}

// Operations are the service's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		pipeline.Op(Info, s, "LookupEvents", "cloudtrail:LookupEvents", nil, (*Service).lookupEvents),
		pipeline.Op(Info, s, "CreateTrail", "cloudtrail:CreateTrail", createTrailTarget, (*Service).createTrail),
		pipeline.Op(Info, s, "GetTrail", "cloudtrail:GetTrail", trailTarget[getTrailInput], (*Service).getTrail),
		pipeline.Op(Info, s, "DescribeTrails", "cloudtrail:DescribeTrails", nil, (*Service).describeTrails),
		pipeline.Op(Info, s, "GetTrailStatus", "cloudtrail:GetTrailStatus", trailTarget[trailNameInput], (*Service).getTrailStatus),
		pipeline.Op(Info, s, "StartLogging", "cloudtrail:StartLogging", trailTarget[trailNameInput], (*Service).startLogging),
		pipeline.Op(Info, s, "StopLogging", "cloudtrail:StopLogging", trailTarget[trailNameInput], (*Service).stopLogging),
		pipeline.Op(Info, s, "UpdateTrail", "cloudtrail:UpdateTrail", trailTarget[updateTrailInput], (*Service).updateTrail),
		pipeline.Op(Info, s, "DeleteTrail", "cloudtrail:DeleteTrail", trailTarget[trailNameInput], (*Service).deleteTrail),
		pipeline.Op(Info, s, "PutEventSelectors", "cloudtrail:PutEventSelectors", trailTarget[putEventSelectorsInput], (*Service).putEventSelectors),
		pipeline.Op(Info, s, "GetEventSelectors", "cloudtrail:GetEventSelectors", trailTarget[getEventSelectorsInput], (*Service).getEventSelectors),
	}
}

// storeError maps the store's sentinels that handlers leave unmapped.
func storeError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return pipeline.NewError(http.StatusBadRequest, "TrailNotFoundException", "%s", err.Error())
	}
	return err
}

func clientError(code, format string, args ...any) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, code, format, args...)
}
