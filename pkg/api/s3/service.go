// Package s3 serves Amazon S3 (REST-XML): buckets, bucket policies and
// objects, with aws-chunked uploads and their chunk signatures.
package s3

import (
	"log/slog"
	"net/http"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// objectLimit is the largest object body the emulator takes.
const objectLimit = 16 << 20

// Info is S3's wire identity. S3 answers every request that names no
// other service, as its endpoint does.
var Info = &pipeline.Service{Name: "s3", XMLNamespace: "http://s3.amazonaws.com/doc/2006-03-01/", RestXML: true,
	BodyLimit: objectLimit, ResolveAction: resolveAction}

// Service holds what the handlers use.
type Service struct {
	store *store.Store
	clock *pipeline.Clock
	log   *slog.Logger
}

// New returns the service over the world in d.
func New(d pipeline.Deps) *Service { return &Service{store: d.Store, clock: d.Clock, log: d.Log} }

// Operations are the service's rows of the API table.
func (s *Service) Operations() []pipeline.Operation {
	return []pipeline.Operation{
		s.op("ListBuckets", "s3:ListAllMyBuckets", nil, (*Service).listBuckets),
		s.op("CreateBucket", "s3:CreateBucket", newBucketTarget, (*Service).createBucket),
		s.op("HeadBucket", "s3:ListBucket", bucketTarget, (*Service).headBucket),
		s.op("DeleteBucket", "s3:DeleteBucket", bucketTarget, (*Service).deleteBucket),
		s.op("GetBucketPolicy", "s3:GetBucketPolicy", policyTarget, (*Service).getBucketPolicy),
		s.op("PutBucketPolicy", "s3:PutBucketPolicy", policyTarget, (*Service).putBucketPolicy),
		s.op("DeleteBucketPolicy", "s3:DeleteBucketPolicy", policyTarget, (*Service).deleteBucketPolicy),
		s.op("ListObjectsV2", "s3:ListBucket", listTarget, (*Service).listObjectsV2),
		pipeline.DataEvent(s.op("PutObject", "s3:PutObject", objectTarget, (*Service).putObject)),
		pipeline.DataEvent(s.op("GetObject", "s3:GetObject", objectTarget, (*Service).getObject)),
		pipeline.DataEvent(s.op("HeadObject", "s3:GetObject", objectTarget, (*Service).headObject)),
		pipeline.DataEvent(s.op("DeleteObject", "s3:DeleteObject", objectTarget, (*Service).deleteObject)),
	}
}

// resolveAction names the S3 operation of a request, or says why none fits.
func resolveAction(r *http.Request) (string, error) {
	if a := s3Action(r); a != "" {
		return a, nil
	}
	if e := s3MethodError(r); e != nil {
		return "", e
	}
	return "", nil
}
