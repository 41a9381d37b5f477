package s3

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
)

// S3's tag limits: 10 per object, 50 per bucket; keys up to 128
// characters, values up to 256; no "aws:" prefix.
const (
	maxObjectTags = 10
	maxBucketTags = 50
)

func invalidTag(msg string) *pipeline.Error {
	return pipeline.NewError(http.StatusBadRequest, "InvalidTag", "%s", msg)
}

// checkTags applies S3's rules to a tag set.
func checkTags(tags map[string]string, limit int) error {
	if len(tags) > limit {
		if limit == maxObjectTags {
			return pipeline.NewError(http.StatusBadRequest, "BadRequest", "Object tags cannot be greater than 10")
		}
		return invalidTag("Bucket tag count cannot be greater than 50")
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > 128 {
			return invalidTag("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(v) > 256 {
			return invalidTag("The TagValue you have provided is invalid")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidTag("System tags cannot be added/updated by requester")
		}
	}
	return nil
}

// parseTaggingHeader reads x-amz-tagging ("k1=v1&k2=v2", URL-encoded).
func parseTaggingHeader(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, invalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	tags := map[string]string{}
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, invalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags[k] = vs[0]
	}
	return tags, checkTags(tags, maxObjectTags)
}
