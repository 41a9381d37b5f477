// Package s3 serves Amazon S3 (REST-XML): buckets, bucket policies and
// objects, with aws-chunked uploads and their chunk signatures; and S3
// Control's tagging of buckets (control.go).
package s3

import (
	"log/slog"
	"net/http"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// bufferedLimit is the largest body the pipeline reads into memory for
// S3: every request's but the uploads of object data signed with
// X-Amz-Content-Sha256, which stream (up to maxObjectSize).
const bufferedLimit = 16 << 20

// maxObjectSize is S3's limit on a single PUT and on one part (5 GiB).
const maxObjectSize = 5 << 30

// s3Namespace is the XML namespace of S3's documents.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// Info is S3's wire identity. S3 answers every request that names no
// other service, as its endpoint does.
var Info = &pipeline.Service{Name: "s3", XMLNamespace: s3Namespace, RestXML: true,
	BodyLimit: bufferedLimit, ResolveAction: resolveAction, StreamBody: streamBody, WrappedErrors: isControlRequest}

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
	return append([]pipeline.Operation{
		s.op("ListBuckets", "s3:ListAllMyBuckets", nil, (*Service).listBuckets),
		s.op("CreateBucket", "s3:CreateBucket", newBucketTarget, (*Service).createBucket),
		s.op("HeadBucket", "s3:ListBucket", bucketTarget, (*Service).headBucket),
		s.op("DeleteBucket", "s3:DeleteBucket", bucketTarget, (*Service).deleteBucket),
		s.op("GetBucketPolicy", "s3:GetBucketPolicy", policyTarget, (*Service).getBucketPolicy),
		s.op("PutBucketPolicy", "s3:PutBucketPolicy", policyTarget, (*Service).putBucketPolicy),
		s.op("DeleteBucketPolicy", "s3:DeleteBucketPolicy", policyTarget, (*Service).deleteBucketPolicy),
		s.op("ListObjectsV2", "s3:ListBucket", listTarget, (*Service).listObjectsV2),
		s.op("ListObjects", "s3:ListBucket", listTarget, (*Service).listObjects),
		s.op("ListObjectVersions", "s3:ListBucketVersions", listTarget, (*Service).listObjectVersions),
		s.op("GetBucketLocation", "s3:GetBucketLocation", bucketTarget, (*Service).getBucketLocation),
		s.op("GetBucketTagging", "s3:GetBucketTagging", bucketTarget, (*Service).getBucketTagging),
		s.op("PutBucketTagging", "s3:PutBucketTagging", bucketTarget, (*Service).putBucketTagging),
		s.op("DeleteBucketTagging", "s3:PutBucketTagging", bucketTarget, (*Service).deleteBucketTagging),
		pipeline.DataEvent(s.op("GetObjectTagging", "s3:GetObjectTagging", objectTarget, (*Service).getObjectTagging)),
		pipeline.DataEvent(s.op("PutObjectTagging", "s3:PutObjectTagging", objectTarget, (*Service).putObjectTagging)),
		pipeline.DataEvent(s.op("DeleteObjectTagging", "s3:DeleteObjectTagging", objectTarget, (*Service).deleteObjectTagging)),
		pipeline.DataEvent(s.selfAuthorizedOp("DeleteObjects", "s3:DeleteObject", (*Service).deleteObjects)),
		pipeline.OwnCommitsOp(pipeline.DataEvent(s.op("PutObject", "s3:PutObject", objectTarget, (*Service).putObject))),
		pipeline.DataEvent(s.op("GetObject", "s3:GetObject", objectTarget, (*Service).getObject)),
		pipeline.DataEvent(s.op("HeadObject", "s3:GetObject", objectTarget, (*Service).headObject)),
		pipeline.DataEvent(s.op("DeleteObject", "s3:DeleteObject", objectTarget, (*Service).deleteObject)),
		pipeline.OwnCommitsOp(pipeline.DataEvent(s.op("CopyObject", "s3:PutObject", objectTarget, (*Service).copyObject))),
		pipeline.DataEvent(s.op("CreateMultipartUpload", "s3:PutObject", objectTarget, (*Service).createMultipartUpload)),
		pipeline.OwnCommitsOp(pipeline.DataEvent(s.op("UploadPart", "s3:PutObject", objectTarget, (*Service).uploadPart))),
		pipeline.OwnCommitsOp(pipeline.DataEvent(s.op("UploadPartCopy", "s3:PutObject", objectTarget, (*Service).uploadPartCopy))),
		pipeline.DataEvent(s.op("CompleteMultipartUpload", "s3:PutObject", objectTarget, (*Service).completeMultipartUpload)),
		pipeline.DataEvent(s.op("AbortMultipartUpload", "s3:AbortMultipartUpload", objectTarget, (*Service).abortMultipartUpload)),
		pipeline.DataEvent(s.op("ListParts", "s3:ListMultipartUploadParts", objectTarget, (*Service).listParts)),
		s.op("ListMultipartUploads", "s3:ListBucketMultipartUploads", bucketTarget, (*Service).listMultipartUploads),
	}, append(s.bucketConfigOperations(), s.controlOperations()...)...)
}

// resolveAction names the S3 operation of a request, or says why none fits.
func resolveAction(r *http.Request) (string, error) {
	if isControlRequest(r) {
		return controlAction(r), nil
	}
	if a := s3Action(r); a != "" {
		return a, nil
	}
	if e := s3MethodError(r); e != nil {
		return "", e
	}
	return "", nil
}
