package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// EventVersion is the CloudTrail record format version the records carry.
const EventVersion = "1.11"

// Recorder writes the CloudTrail record of every call the pipeline serves.
// A write's record is committed in the write's own transaction (see
// runRecorded); the records of reads and of refused or failed calls are
// batched and committed within FlushDelay, and on Flush or Close.
type Recorder struct {
	store  *store.Store
	log    *slog.Logger
	limits store.EventLimits
	// FlushDelay is the longest a batched record waits to be committed.
	flushDelay time.Duration

	mu      sync.Mutex
	pending []store.Event
	// spare is the last flushed batch's array, emptied, for the next one:
	// growing a fresh slice under a flood of reads copied it a dozen times.
	spare []store.Event
	// buffers holds the record buffers of committed batches for the next
	// records (recordBuffer): freed, a batch's megabytes were handed back
	// to the system by the runtime's scavenger and faulted in again by the
	// next batch, a fifth of a recorded read's CPU.
	buffers [][]byte
	timer   *time.Timer
	closed  bool
	// dirty: something was queued or journaled since the last flush;
	// startup: the first flush ran (it drains a journal left by a crash).
	dirty   bool
	startup atomic.Bool
	// flushing serializes commits, so that Flush returns only once every
	// record queued before it is on disk.
	flushing sync.Mutex
}

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	Limits     store.EventLimits
	FlushDelay time.Duration
}

// NewRecorder returns a recorder into st.
func NewRecorder(st *store.Store, log *slog.Logger, cfg RecorderConfig) *Recorder {
	if cfg.FlushDelay <= 0 || cfg.FlushDelay > time.Second {
		cfg.FlushDelay = 500 * time.Millisecond
	}
	return &Recorder{store: st, log: log, limits: cfg.Limits, flushDelay: cfg.FlushDelay}
}

// write stores events in tx.
func (r *Recorder) write(tx *store.Tx, events []store.Event) error {
	return tx.RecordEvents(events, r.limits)
}

// enqueue batches events for the next flush.
func (r *Recorder) enqueue(events []store.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.pending = append(r.pending, events...)
	r.dirty = true
	if r.timer == nil {
		r.timer = time.AfterFunc(r.flushDelay, func() {
			if err := r.Flush(context.Background()); err != nil {
				r.log.Warn("flush CloudTrail records", "error", err)
			}
		})
	}
}

// Flush commits every batched record.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushing.Lock()
	defer r.flushing.Unlock()
	r.mu.Lock()
	batch, dirty := r.pending, r.dirty
	r.pending, r.spare, r.dirty = r.spare, nil, false
	if r.pending == nil {
		r.pending = make([]store.Event, 0, len(batch)) // the next batch is likely as large
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.mu.Unlock()
	if len(batch) == 0 && !dirty && !r.startup.CompareAndSwap(false, true) {
		return nil
	}
	err := r.store.Update(ctx, func(tx *store.Tx) error { return r.write(tx, batch) })
	// Its records are on disk (or lost with err), and the committed
	// transaction holds none of their bytes: their buffers serve again.
	// Kept: what the next batch is likely to need, and no more, so that
	// after a flood the first quieter batch hands the rest back.
	keep := min(2*len(batch)+minRecordBuffers, maxRecordBuffers)
	r.mu.Lock()
	for i := range batch {
		if b := batch[i].Record; cap(b) >= recordBufferSize && len(r.buffers) < keep {
			r.buffers = append(r.buffers, b[:0])
		}
	}
	if len(r.buffers) > keep {
		clear(r.buffers[keep:])
		r.buffers = r.buffers[:keep]
	}
	if r.spare == nil {
		r.spare = batch[:0]
	}
	r.mu.Unlock()
	clear(batch) // and the rest of them goes
	return err
}

// recordBufferSize is a new record buffer's capacity: most records fit.
const recordBufferSize = 1024

// maxRecordBuffers bounds the buffers kept between batches (about 16 MiB:
// half a second of reads at 32,000 a second). At 4,096, a batch of 64
// connections' reads (15,000 records here) allocated most of its buffers
// afresh (docs/performance.md, perf11).
const maxRecordBuffers = 16384

// minRecordBuffers is how many buffers are kept whatever the last batch's size.
const minRecordBuffers = 256

// recordBuffer is an empty buffer to append a record to: one a committed
// batch left, or a new one.
func (r *Recorder) recordBuffer() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.buffers); n > 0 {
		b := r.buffers[n-1]
		r.buffers[n-1] = nil
		r.buffers = r.buffers[:n-1]
		return b
	}
	return make([]byte, 0, recordBufferSize)
}

// Close commits what is batched and stops recording.
func (r *Recorder) Close(ctx context.Context) error {
	err := r.Flush(ctx)
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return err
}

// --- what the table says about recording ---

// DataEvent marks an operation whose calls are CloudTrail data events
// (S3 object-level, SQS message-level): delivered only to trails whose event
// selectors ask for them, never kept in event history.
func DataEvent(o Operation) Operation {
	o.Data = true
	return o
}

// OwnCommitsOp marks an operation whose handler writes in transactions of
// its own, one after another (S3's object data, a chunk per transaction,
// while the body streams in): it cannot run inside the one transaction that
// joins a write and its record, which would hold the store's only writer
// for the whole upload and every chunk in memory. Its record is batched,
// as a read's is, and committed within a second.
func OwnCommitsOp(o Operation) Operation {
	o.OwnCommits = true
	return o
}

// ReadOnlyOp marks an operation as read-only for CloudTrail whatever its name.
func ReadOnlyOp(o Operation) Operation {
	o.readOnlySet, o.readOnly = true, true
	return o
}

// ReadOnly reports whether CloudTrail records the operation as read-only:
// by default, the operations named Get…, List…, Describe…, Head…, Lookup…
// and Receive…
func (o Operation) ReadOnly() bool {
	if o.readOnlySet {
		return o.readOnly
	}
	for _, p := range []string{"Get", "List", "Describe", "Head", "Lookup", "Receive"} {
		if strings.HasPrefix(o.Name, p) {
			return true
		}
	}
	return false
}

// RecordParameters sets the call's requestParameters, for operations whose
// input is not a decoded wire struct (S3).
func (c *Call) RecordParameters(params map[string]any) { c.auditParams = params }

// --- recording a call ---

// runRecorded runs a handler. For a write, with recording on, the handler's
// store work and the call's record are one transaction: every Update and
// View the handler makes joins it, and the response the handler writes is
// held until that transaction commits. When a joined Update failed
// although the handler succeeded, the work is rolled back and run again on
// its own, and the record follows in the batch.
func runRecorded[Out any](c *Call, ctx context.Context, h func(context.Context) (*Out, error)) (*Out, error) {
	var out *Out
	run := func(ctx context.Context) error {
		var err error
		out, err = h(ctx)
		if out != nil {
			c.auditOut = out
		}
		return err
	}
	err := c.runRecorded(ctx, run)
	return out, err
}

// RunRecorded runs the handler of an operation that builds its own Invoke
// (S3) as Op runs its handlers: a write and its record in one transaction.
func (c *Call) RunRecorded(ctx context.Context, run func(context.Context) error) error {
	return c.runRecorded(ctx, run)
}

func (c *Call) runRecorded(ctx context.Context, run func(context.Context) error) error {
	p := c.pipeline
	if p == nil || p.Audit == nil || c.op.ReadOnly() || c.op.OwnCommits {
		return run(ctx)
	}
	real := c.W
	held := &heldResponse{header: http.Header{}}
	c.W = held
	// The joined work is a write of the store's group commit: it may run
	// again when a neighbour in its group fails, and starts afresh each time.
	err := p.Store.UpdateJoined(ctx, func(ctx context.Context) error {
		held.reset()
		c.auditOut = nil
		return run(ctx)
	}, func(tx *store.Tx) error {
		return tx.JournalEvents(c.records(nil))
	})
	c.W = real
	if errors.Is(err, store.ErrJoinedFailed) {
		c.auditOut = nil
		return run(ctx)
	}
	if err != nil {
		return err
	}
	c.recorded = true
	p.Audit.enqueue(nil) // the journal reaches history with the next batch
	held.sendTo(real)
	return nil
}

// recordCall batches the record of a call that was not recorded in its own
// transaction: reads, and every refused or failed call.
func (p *Pipeline) recordCall(c *Call, err error) {
	if p.Audit == nil || c.recorded || c.op == nil {
		return
	}
	p.Audit.enqueue(c.records(err))
}

// heldResponse keeps a response until the transaction it reports commits.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

// reset forgets what a run that was rolled back wrote.
func (h *heldResponse) reset() {
	clear(h.header)
	h.status = 0
	h.body.Reset()
}
func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

func (h *heldResponse) sendTo(w http.ResponseWriter) {
	if h.status == 0 {
		return
	}
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	w.Write(h.body.Bytes())
}

// --- the record ---

type auditRecord struct {
	EventVersion       string           `json:"eventVersion"`
	UserIdentity       userIdentity     `json:"userIdentity"`
	EventTime          string           `json:"eventTime"`
	EventSource        string           `json:"eventSource"`
	EventName          string           `json:"eventName"`
	AWSRegion          string           `json:"awsRegion"`
	SourceIPAddress    string           `json:"sourceIPAddress"`
	UserAgent          string           `json:"userAgent"`
	ErrorCode          string           `json:"errorCode,omitempty"`
	ErrorMessage       string           `json:"errorMessage,omitempty"`
	RequestParameters  any              `json:"requestParameters"`
	ResponseElements   any              `json:"responseElements"`
	RequestID          string           `json:"requestID"`
	EventID            string           `json:"eventID"`
	ReadOnly           bool             `json:"readOnly"`
	Resources          []recordResource `json:"resources,omitempty"`
	EventType          string           `json:"eventType"`
	ManagementEvent    bool             `json:"managementEvent"`
	RecipientAccountID string           `json:"recipientAccountId"`
	SharedEventID      string           `json:"sharedEventID,omitempty"`
	EventCategory      string           `json:"eventCategory"`
	TLSDetails         *tlsDetails      `json:"tlsDetails,omitempty"`
}

type userIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId"`
	ARN            string          `json:"arn"`
	AccountID      string          `json:"accountId"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
}

type sessionContext struct {
	SessionIssuer       *sessionIssuer    `json:"sessionIssuer,omitempty"`
	WebIDFederationData *struct{}         `json:"webIdFederationData,omitempty"`
	Attributes          sessionAttributes `json:"attributes"`
	SourceIdentity      string            `json:"sourceIdentity,omitempty"`
	AssumedRoot         string            `json:"assumedRoot,omitempty"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type recordResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// identityRecord is the userIdentity element of the caller, per identity type.
func identityRecord(id Identity) userIdentity {
	u := userIdentity{PrincipalID: id.UserID, ARN: id.ARN, AccountID: id.AccountID, AccessKeyID: id.AccessKeyID}
	attrs := sessionAttributes{CreationDate: XMLTime(id.SessionIssued), MFAAuthenticated: "false"}
	switch id.Kind {
	case store.KindRoot:
		u.Type = "Root"
	case store.KindRootSession:
		u.Type = "Root"
		u.SessionContext = &sessionContext{Attributes: attrs, SourceIdentity: id.SourceIdentity, AssumedRoot: "true"}
	case store.KindRoleSession:
		u.Type = "AssumedRole"
		roleID, _, _ := strings.Cut(id.UserID, ":")
		u.SessionContext = &sessionContext{
			SessionIssuer: &sessionIssuer{Type: "Role", PrincipalID: roleID, ARN: id.PrincipalARN,
				AccountID: id.AccountID, UserName: lastSegment(id.PrincipalARN)},
			WebIDFederationData: &struct{}{}, Attributes: attrs, SourceIdentity: id.SourceIdentity}
	default:
		u.Type = "IAMUser"
		u.UserName = lastSegment(id.PrincipalARN)
	}
	return u
}

func lastSegment(arn string) string { return arn[strings.LastIndexAny(arn, "/:")+1:] }

// lookupUsername is the Username event history shows: the user name, the
// role session name, or "root".
func lookupUsername(id Identity) string {
	switch id.Kind {
	case store.KindRoot, store.KindRootSession:
		return "root"
	case store.KindRoleSession:
		_, session, _ := strings.Cut(id.UserID, ":")
		return session
	}
	return lastSegment(id.PrincipalARN)
}

// newEventID is a record's eventID: a UUID, as CloudTrail's, of version 7
// (the first 48 bits are the event's time in milliseconds, the rest
// random), so that event history's EventId index grows at its end instead
// of at random places (a random id dirtied one more page per event).
func newEventID(at time.Time) string {
	var b [16]byte
	rand.Read(b[6:])
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// records builds the call's CloudTrail records: one in the caller's
// account, and a copy (with a shared event id) in the account that owns the
// resource of a successful cross-account call.
func (c *Call) records(callErr error) []store.Event {
	p := c.pipeline
	// Records show whole seconds; history keeps the call's full time to order calls within one.
	now := p.Clock.Now()
	readOnly := c.op.ReadOnly()
	rec := auditRecord{
		EventVersion: EventVersion, UserIdentity: identityRecord(c.ID), EventTime: XMLTime(now.Truncate(time.Second)),
		EventSource: c.Svc.Name + ".amazonaws.com", EventName: c.Action, AWSRegion: c.Region,
		SourceIPAddress: sourceIP(c.R), UserAgent: c.R.UserAgent(), RequestID: c.RequestID, EventID: newEventID(now),
		ReadOnly: readOnly, EventType: "AwsApiCall", ManagementEvent: !c.op.Data, RecipientAccountID: c.ID.AccountID,
		EventCategory: "Management",
	}
	if c.op.Data {
		rec.EventCategory = "Data"
	}
	if c.R.TLS != nil {
		rec.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: c.R.Host}
	}
	rec.RequestParameters = c.requestParameters()
	if callErr != nil {
		if e := AsError(storeError(c.Svc, callErr)); e != nil {
			rec.ErrorCode, rec.ErrorMessage = wireCode(c.Proto, e), e.Message
		} else {
			rec.ErrorCode, rec.ErrorMessage = wireCode(c.Proto, InternalError(c.Proto)), InternalError(c.Proto).Message
		}
	} else if !readOnly && c.auditOut != nil {
		rec.ResponseElements = auditValue(c.auditOut, c.Proto)
	}
	var resources []auditResource
	owner := c.ID.AccountID
	if c.target != nil {
		owner = c.target.Account
		resources = resourcesOf(c.target.ARN, owner)
		if recordsResources(c.Svc.Name) {
			for _, r := range resources {
				rec.Resources = append(rec.Resources, recordResource{AccountID: r.Account(), Type: r.Type, ARN: r.ARN})
			}
		}
	}
	ev := store.Event{ID: rec.EventID, Account: c.ID.AccountID, Region: c.Region, Time: now, Name: c.Action,
		Source: rec.EventSource, ReadOnly: readOnly, Username: lookupUsername(c.ID), AccessKeyID: c.ID.AccessKeyID,
		Management: !c.op.Data}
	for _, r := range resources {
		ev.Resources = append(ev.Resources, store.EventResource{Type: r.Type, Name: r.Name, ARN: r.ARN})
	}
	crossAccount := callErr == nil && owner != "" && owner != c.ID.AccountID
	if crossAccount {
		rec.SharedEventID = NewRequestID()
	}
	events := []store.Event{p.Audit.withRecord(ev, rec)}
	if crossAccount {
		other := ev
		other.ID, other.Account = newEventID(now), owner
		rec.EventID, rec.RecipientAccountID = other.ID, owner
		events = append(events, p.Audit.withRecord(other, rec))
	}
	return events
}

// withRecord is ev carrying rec's JSON, in one of the recorder's buffers.
func (r *Recorder) withRecord(ev store.Event, rec auditRecord) store.Event {
	ev.Record = rec.appendJSON(r.recordBuffer())
	return ev
}

// recordsResources says whether a service's records list a resources
// array: S3, STS and SQS records do; IAM's and Organizations' do not (their
// resources still show in event history).
func recordsResources(service string) bool {
	return service == "s3" || service == "sts" || service == "sqs"
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wireCode is an error's code as the client's SDK names it: SQS's legacy
// code over query, a JSON __type without its namespace.
func wireCode(p Protocol, e *Error) string {
	code := e.Code
	if p == ProtoQuery && e.QueryCode != "" {
		code = e.QueryCode
	}
	if _, name, ok := strings.Cut(code, "#"); ok {
		code = name
	}
	return code
}
