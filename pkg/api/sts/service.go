// Package sts serves AWS Security Token Service (query protocol):
// GetCallerIdentity, AssumeRole, GetSessionToken, GetAccessKeyInfo and
// AssumeRoot, the call that mints root sessions in member accounts.
package sts

import (
	"log/slog"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// Info is STS's wire identity, from its service model.
var Info = &pipeline.Service{Name: "sts", Version: "2011-06-15", XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/"}

// Service holds what STS handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
}

// New returns STS over the world in d.
func New(d pipeline.Deps) *Service { return &Service{store: d.Store, clock: d.Clock, log: d.Log} }

// Operations are STS's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		pipeline.Public(pipeline.Op(Info, s, "GetCallerIdentity", "sts:GetCallerIdentity", nil, (*Service).getCallerIdentity)),
		pipeline.Op(Info, s, "AssumeRoot", "sts:AssumeRoot", assumeRootTarget, (*Service).assumeRoot),
		pipeline.Op(Info, s, "AssumeRole", "sts:AssumeRole", (*Service).assumeRoleTarget, (*Service).assumeRole),
		// GetSessionToken needs no permission (AWS documents that policies
		// do not control it); the handler refuses session credentials.
		pipeline.Public(pipeline.Op(Info, s, "GetSessionToken", "sts:GetSessionToken", nil, (*Service).getSessionToken)),
		pipeline.Op(Info, s, "GetAccessKeyInfo", "sts:GetAccessKeyInfo", nil, (*Service).getAccessKeyInfo),
	}
}
