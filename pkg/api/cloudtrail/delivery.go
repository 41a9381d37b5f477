package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/rootaccess/emulator/pkg/store"
)

// DeliverLogs writes every logging trail's waiting records into its S3
// bucket as CloudTrail log files: one gzipped {"Records":[…]} object per
// trail, account and region, at AWS's key layout
//
//	[prefix/]AWSLogs/[<org id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
//	  <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<16 characters>.json.gz
//
// It returns how many files it wrote. The server calls it every delivery
// interval and on shutdown.
func (s *Service) DeliverLogs(ctx context.Context) (int, error) {
	if s.audit != nil {
		if err := s.audit.Flush(ctx); err != nil {
			return 0, err
		}
	}
	now := s.clock.Now()
	return s.store.DeliverTrailRecords(ctx, func(t store.Trail, recs []store.PendingRecord) ([]store.Object, error) {
		type group struct{ account, region string }
		groups := map[group][]json.RawMessage{}
		var order []group
		for _, r := range recs {
			g := group{r.Account, r.Region}
			if _, seen := groups[g]; !seen {
				order = append(order, g)
			}
			groups[g] = append(groups[g], r.Record)
		}
		var objects []store.Object
		for _, g := range order {
			body, err := logFile(groups[g])
			if err != nil {
				return nil, err
			}
			owner := g.account
			if t.OrganizationID != "" {
				owner = t.OrganizationID + "/" + g.account
			}
			key := logDirectory(t, owner) + "CloudTrail/" + g.region + "/" + now.Format("2006/01/02") + "/" +
				g.account + "_CloudTrail_" + g.region + "_" + now.Format("20060102T1504Z") + "_" + fileID() + ".json.gz"
			sum := md5.Sum(body)
			objects = append(objects, store.Object{ObjectInfo: store.ObjectInfo{Bucket: t.S3Bucket, Key: key,
				ETag: `"` + hex.EncodeToString(sum[:]) + `"`, ContentType: "application/x-gzip"}, Data: body})
		}
		return objects, nil
	})
}

// logFile is a gzipped {"Records":[…]} document, oldest record first.
func logFile(records []json.RawMessage) ([]byte, error) {
	var doc bytes.Buffer
	doc.WriteString(`{"Records":[`)
	for i, r := range records {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.Write(r)
	}
	doc.WriteString("]}")
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(doc.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// fileID is the 16-character random part of a log file's name.
func fileID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	rand.Read(b)
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
