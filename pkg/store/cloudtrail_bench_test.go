package store_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// BenchmarkRecordEvents commits batches of 500 records of about 800 bytes
// (the recorder's batch of reads: one caller's GetCallerIdentity, records
// that differ in their time and ids alone) into one account's event
// history, below its cap and at it, where every record added drops the
// oldest with its posting-list entries, and at the cap as writes' records
// (journaled, then moved; each unlike the others, as AssumeRoot's, whose
// credentials differ). It reports the cost per record.
func BenchmarkRecordEvents(b *testing.B) {
	const batch, capacity = 500, 20_000
	for _, tc := range []struct {
		name   string
		prefil int
		lim    store.EventLimits
		// journaled: the records are writes' (AssumeRoot's), journaled in
		// a transaction first and then moved into history by the batch.
		journaled bool
		// readsFirst: the history is filled with reads' records, templated,
		// before the writes' go in (as in cmd/loadtest: each write's whole
		// record replaces a read's short one).
		readsFirst bool
	}{
		{"below-cap", 0, store.EventLimits{}, false, false},
		{"at-cap", capacity, store.EventLimits{MaxPerAccount: capacity}, false, false},
		{"journaled-at-cap", capacity, store.EventLimits{MaxPerAccount: capacity}, true, false},
		{"journaled-after-reads", capacity, store.EventLimits{MaxPerAccount: capacity}, true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			st, clock, _ := MustOpenStore(b)
			if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutAccount(store.Account{ID: acct, Name: acct}) }); err != nil {
				b.Fatal(err)
			}
			n := 0
			writes := tc.journaled && !tc.readsFirst
			next := func() []store.Event {
				evs := make([]store.Event, batch)
				for i := range evs {
					n++
					at := clock.t.Add(time.Duration(n) * time.Millisecond)
					ms := at.UnixMilli() // a UUIDv7 carrying the time, as the recorder's
					id := fmt.Sprintf("%08x-%04x-7000-8000-%012x", ms>>16, ms&0xffff, n)
					unique := ""
					if writes {
						unique = fmt.Sprintf(`"sessionToken":"%0200d",`, n)
					}
					evs[i] = store.Event{ID: id, Account: acct, Region: "us-east-1", Time: at,
						Name: "GetCallerIdentity", Source: "sts.amazonaws.com", ReadOnly: true, Username: "admin",
						AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Management: true,
						Record: fmt.Appendf(nil, benchRecord, at.Format(time.RFC3339), unique, n, id)}
				}
				return evs
			}
			commit := func() {
				evs := next()
				if writes {
					if err := st.Update(ctx, func(tx *store.Tx) error { return tx.JournalEvents(evs) }); err != nil {
						b.Fatal(err)
					}
					evs = nil
				}
				if err := st.Update(ctx, func(tx *store.Tx) error { return tx.RecordEvents(evs, tc.lim) }); err != nil {
					b.Fatal(err)
				}
			}
			for range tc.prefil / batch {
				commit()
			}
			writes = tc.journaled
			b.ResetTimer()
			cpu0 := processCPU(b)
			for range b.N {
				commit()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
			// CPU holds up on a shared machine where wall time does not,
			// and leaves out the fsync's wait.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N*batch), "cpu-ns/record")
		})
	}
}

// benchRecord is a GetCallerIdentity record as the recorder writes one
// for the AWS CLI: its time, a field of the journaled case's, the request
// id and the event id to fill in.
const benchRecord = `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAJBYQ5O6LZG62Y5P3K",` +
	`"arn":"arn:aws:iam::111111111111:user/admin","accountId":"111111111111","accessKeyId":"AKIAIOSFODNN7EXAMPLE",` +
	`"userName":"admin"},"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity",` +
	`"awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 ` +
	`os/linux#6.18.44-fc-v1045 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/D,Z,b,N,g cfg/retry-mode#legacy ` +
	`botocore/1.43.11","requestParameters":null,%s"responseElements":null,"requestID":"%08x-e70d-43f4-8691-a9695388b3e0",` +
	`"eventID":"%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,` +
	`"recipientAccountId":"111111111111","eventCategory":"Management"}`

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
