package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"net/http"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- Bucket configurations: what Terraform's AWS provider reads on every
// refresh of a bucket, answered as S3 answers a bucket with nothing set ---

// bucketConfig is one bucket sub-resource (?cors, ?encryption…): its
// operations and IAM actions, and what S3 answers before anything was put
// (a default document, or an error).
type bucketConfig struct {
	sub                   string // the query parameter
	get, put, del         string // operation names; "" when S3 has none
	getAction, putAction  string
	delAction             string
	root                  string // the root element a Put must send
	defaultDoc            func(b *store.Bucket) string
	notFound, notFoundMsg string // the error of a Get before any Put
}

var bucketConfigs = []bucketConfig{
	{sub: "cors", get: "GetBucketCors", put: "PutBucketCors", del: "DeleteBucketCors",
		getAction: "s3:GetBucketCORS", putAction: "s3:PutBucketCORS", delAction: "s3:PutBucketCORS", root: "CORSConfiguration",
		notFound: "NoSuchCORSConfiguration", notFoundMsg: "The CORS configuration does not exist"},
	{sub: "website", get: "GetBucketWebsite", put: "PutBucketWebsite", del: "DeleteBucketWebsite",
		getAction: "s3:GetBucketWebsite", putAction: "s3:PutBucketWebsite", delAction: "s3:DeleteBucketWebsite", root: "WebsiteConfiguration",
		notFound: "NoSuchWebsiteConfiguration", notFoundMsg: "The specified bucket does not have a website configuration"},
	{sub: "lifecycle", get: "GetBucketLifecycleConfiguration", put: "PutBucketLifecycleConfiguration", del: "DeleteBucketLifecycle",
		getAction: "s3:GetLifecycleConfiguration", putAction: "s3:PutLifecycleConfiguration", delAction: "s3:PutLifecycleConfiguration",
		root: "LifecycleConfiguration", notFound: "NoSuchLifecycleConfiguration", notFoundMsg: "The lifecycle configuration does not exist"},
	{sub: "replication", get: "GetBucketReplication", put: "PutBucketReplication", del: "DeleteBucketReplication",
		getAction: "s3:GetReplicationConfiguration", putAction: "s3:PutReplicationConfiguration", delAction: "s3:PutReplicationConfiguration",
		root: "ReplicationConfiguration", notFound: "ReplicationConfigurationNotFoundError", notFoundMsg: "The replication configuration was not found"},
	{sub: "object-lock", get: "GetObjectLockConfiguration",
		getAction: "s3:GetBucketObjectLockConfiguration",
		notFound:  "ObjectLockConfigurationNotFoundError", notFoundMsg: "Object Lock configuration does not exist for this bucket"},
	{sub: "encryption", get: "GetBucketEncryption", put: "PutBucketEncryption", del: "DeleteBucketEncryption",
		getAction: "s3:GetEncryptionConfiguration", putAction: "s3:PutEncryptionConfiguration", delAction: "s3:PutEncryptionConfiguration",
		root: "ServerSideEncryptionConfiguration", defaultDoc: func(*store.Bucket) string {
			return `<ServerSideEncryptionConfiguration xmlns="` + s3Namespace + `"><Rule><ApplyServerSideEncryptionByDefault>` +
				`<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`
		}},
	{sub: "ownershipControls", get: "GetBucketOwnershipControls", put: "PutBucketOwnershipControls", del: "DeleteBucketOwnershipControls",
		getAction: "s3:GetBucketOwnershipControls", putAction: "s3:PutBucketOwnershipControls", delAction: "s3:PutBucketOwnershipControls",
		root: "OwnershipControls", defaultDoc: func(*store.Bucket) string {
			return `<OwnershipControls xmlns="` + s3Namespace + `"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`
		}},
	{sub: "publicAccessBlock", get: "GetPublicAccessBlock", put: "PutPublicAccessBlock", del: "DeletePublicAccessBlock",
		getAction: "s3:GetBucketPublicAccessBlock", putAction: "s3:PutBucketPublicAccessBlock", delAction: "s3:PutBucketPublicAccessBlock",
		root: "PublicAccessBlockConfiguration", defaultDoc: func(*store.Bucket) string {
			return `<PublicAccessBlockConfiguration xmlns="` + s3Namespace + `"><BlockPublicAcls>true</BlockPublicAcls>` +
				`<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`
		}},
	{sub: "versioning", get: "GetBucketVersioning",
		getAction: "s3:GetBucketVersioning", defaultDoc: func(*store.Bucket) string {
			return `<VersioningConfiguration xmlns="` + s3Namespace + `"/>`
		}},
	{sub: "accelerate", get: "GetBucketAccelerateConfiguration", put: "PutBucketAccelerateConfiguration",
		getAction: "s3:GetAccelerateConfiguration", putAction: "s3:PutAccelerateConfiguration", root: "AccelerateConfiguration", defaultDoc: func(*store.Bucket) string {
			return `<AccelerateConfiguration xmlns="` + s3Namespace + `"/>`
		}},
	{sub: "requestPayment", get: "GetBucketRequestPayment", put: "PutBucketRequestPayment",
		getAction: "s3:GetBucketRequestPayment", putAction: "s3:PutBucketRequestPayment", root: "RequestPaymentConfiguration", defaultDoc: func(*store.Bucket) string {
			return `<RequestPaymentConfiguration xmlns="` + s3Namespace + `"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`
		}},
	{sub: "logging", get: "GetBucketLogging", put: "PutBucketLogging",
		getAction: "s3:GetBucketLogging", putAction: "s3:PutBucketLogging", root: "BucketLoggingStatus", defaultDoc: func(*store.Bucket) string {
			return `<BucketLoggingStatus xmlns="` + s3Namespace + `"/>`
		}},
	{sub: "acl", get: "GetBucketAcl",
		getAction: "s3:GetBucketAcl", defaultDoc: func(b *store.Bucket) string {
			id := canonicalUserID(b.Owner)
			return `<AccessControlPolicy xmlns="` + s3Namespace + `"><Owner><ID>` + id + `</ID></Owner><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + id +
				`</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`
		}},
}

// bucketConfigAction names the operation of a bucket request for one of
// the configurations; "" for none.
func bucketConfigAction(method string, q map[string][]string) string {
	for _, bc := range bucketConfigs {
		if _, ok := q[bc.sub]; !ok {
			continue
		}
		switch method {
		case http.MethodGet:
			return bc.get
		case http.MethodPut:
			return bc.put
		case http.MethodDelete:
			return bc.del
		}
		return ""
	}
	return ""
}

// bucketConfigOperations are the configurations' rows of the API table.
func (s *Service) bucketConfigOperations() []pipeline.Operation {
	var ops []pipeline.Operation
	for _, bc := range bucketConfigs {
		ops = append(ops, s.op(bc.get, bc.getAction, bucketTarget, bc.getConfig))
		if bc.put != "" {
			ops = append(ops, s.op(bc.put, bc.putAction, bucketTarget, bc.putConfig))
		}
		if bc.del != "" {
			ops = append(ops, s.op(bc.del, bc.delAction, bucketTarget, bc.deleteConfig))
		}
	}
	return ops
}

func (bc bucketConfig) getConfig(_ *Service, _ context.Context, c *pipeline.Call, req *s3Request) error {
	b := req.bucketRec
	if b == nil {
		return noSuchBucket(req.bucket)
	}
	doc, ok := b.Configs[bc.sub]
	if !ok && bc.defaultDoc != nil {
		doc, ok = bc.defaultDoc(b), true
	}
	if !ok {
		return bucketError(http.StatusNotFound, bc.notFound, bc.notFoundMsg, req.bucket)
	}
	c.W.Header().Set("Content-Type", "application/xml")
	c.W.WriteHeader(http.StatusOK)
	_, err := io.WriteString(c.W, xml.Header+doc)
	return err
}

// putConfig stores the document as sent, once it is well-formed XML with
// the configuration's root element (its contents are not interpreted).
func (bc bucketConfig) putConfig(s *Service, ctx context.Context, c *pipeline.Call, req *s3Request) error {
	if req.bucketRec == nil {
		return noSuchBucket(req.bucket)
	}
	if !wellFormed(req.body, bc.root) {
		return malformedXML()
	}
	doc := bytes.TrimSpace(req.body)
	if bytes.HasPrefix(doc, []byte("<?")) {
		if _, rest, ok := bytes.Cut(doc, []byte("?>")); ok {
			doc = bytes.TrimSpace(rest) // the prolog: getConfig writes its own
		}
	}
	return s.setBucketConfig(ctx, c, req.bucket, bc.sub, string(doc), http.StatusOK)
}

func (bc bucketConfig) deleteConfig(s *Service, ctx context.Context, c *pipeline.Call, req *s3Request) error {
	return s.setBucketConfig(ctx, c, req.bucket, bc.sub, "", http.StatusNoContent)
}

// wellFormed reports whether body is one XML document whose root element is root.
func wellFormed(body []byte, root string) bool {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth, sawRoot := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return sawRoot && depth == 0
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if sawRoot || t.Name.Local != root {
					return false
				}
				sawRoot = true
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// setBucketConfig replaces ("" deletes) one configuration of a bucket.
func (s *Service) setBucketConfig(ctx context.Context, c *pipeline.Call, bucket, sub, doc string, status int) error {
	return s.changeBucket(ctx, c, bucket, status, func(b *store.Bucket) {
		configs := maps.Clone(b.Configs)
		if configs == nil {
			configs = map[string]string{}
		}
		if doc == "" {
			delete(configs, sub)
		} else {
			configs[sub] = doc
		}
		b.Configs = configs
	})
}
