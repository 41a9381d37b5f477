package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-chi/chi/v5"

	"github.com/rootaccess/emulator/pkg/console/internal/awsapi"
)

// The five root tasks, as the console offers them.
var tasks = []struct{ Name, Label string }{
	{"IAMAuditRootUserCredentials", "Audit the root user's credentials"},
	{"IAMDeleteRootUserCredentials", "Delete the root user's credentials"},
	{"IAMCreateRootUserPassword", "Allow password recovery"},
	{"S3UnlockBucketPolicy", "Delete a bucket policy that denies everyone"},
	{"SQSUnlockQueuePolicy", "Delete a queue policy that denies everyone"},
}

func taskARN(name string) string { return "arn:aws:iam::aws:policy/root-task/" + name }

// accessRoleARN is the role through which the management account reads a
// member account (Organizations creates it in the accounts it creates).
func accessRoleARN(account string) string {
	return "arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"
}

// awsMessage is an error in AWS's own words: code and message.
func awsMessage(err error) string {
	var apiErr *awsapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code + ": " + apiErr.Message
	}
	return err.Error()
}

func isCode(err error, codes ...string) bool {
	var apiErr *awsapi.Error
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.Code)
}

// --- sign-in ---

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "signin", http.StatusOK, page{Title: "Sign in", SignedOut: true})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	creds := aws.Credentials{AccessKeyID: strings.TrimSpace(r.PostFormValue("access_key_id")),
		SecretAccessKey: strings.TrimSpace(r.PostFormValue("secret_access_key")),
		SessionToken:    strings.TrimSpace(r.PostFormValue("session_token"))}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		c.render(w, r, "signin", http.StatusBadRequest, page{Title: "Sign in", SignedOut: true, Error: "Give an access key id and its secret access key."})
		return
	}
	who, err := c.client(creds).GetCallerIdentity(r.Context())
	if err != nil {
		c.render(w, r, "signin", http.StatusUnauthorized, page{Title: "Sign in", SignedOut: true, Error: awsMessage(err)})
		return
	}
	s := &signedIn{id: randomID(), csrf: randomID(), creds: creds, arn: who.Arn, accountID: who.Account,
		started: time.Now(), privileged: map[string]*privileged{}, audit: map[string]aws.Credentials{}}
	c.mu.Lock()
	c.sessions[s.id] = s
	c.mu.Unlock()
	c.log.Info("console sign-in", "principal", s.arn, "access_key", creds.AccessKeyID)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: c.sessionCookie(s.id), Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, Prefix+"/root-access", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	c.mu.Lock()
	delete(c.sessions, s.id)
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Prefix+"/root-access", http.StatusSeeOther)
}

// --- root access management ---

// accountStatus is one row of the central view.
type accountStatus struct {
	ID, Name, Email, State string
	Password, AccessKeys   bool
	SigningCerts, MFA      bool
	Error                  string
}

func (a accountStatus) AnyPresent() bool {
	return a.Password || a.AccessKeys || a.SigningCerts || a.MFA
}

type rootAccessData struct {
	TrustedAccess      bool
	CredentialsManaged bool
	RootSessions       bool
	FeaturesError      string
	Accounts           []accountStatus
	WithCredentials    int
	Filter             string
	Query              string
	CentralError       string
	Tasks              any
}

func (c *Console) rootAccess(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	client := c.client(s.creds)
	d := rootAccessData{Filter: r.URL.Query().Get("filter"), Query: strings.TrimSpace(r.URL.Query().Get("q")), Tasks: tasks}
	if principals, err := client.ListAWSServiceAccessForOrganization(ctx); err == nil {
		d.TrustedAccess = slices.Contains(principals, "iam.amazonaws.com")
	} else {
		d.FeaturesError = awsMessage(err)
	}
	if features, err := client.ListOrganizationsFeatures(ctx); err == nil {
		d.CredentialsManaged = slices.Contains(features, awsapi.FeatureRootCredentialsManagement)
		d.RootSessions = slices.Contains(features, awsapi.FeatureRootSessions)
	} else if d.FeaturesError == "" {
		d.FeaturesError = awsMessage(err)
	}
	if d.RootSessions {
		d.Accounts, d.CentralError = c.centralView(ctx, s)
	}
	shown := d.Accounts[:0:0]
	for _, a := range d.Accounts {
		if a.AnyPresent() {
			d.WithCredentials++
		}
		q := strings.ToLower(d.Query)
		matches := q == "" || strings.Contains(a.ID, q) || strings.Contains(strings.ToLower(a.Name), q) || strings.Contains(strings.ToLower(a.Email), q)
		switch d.Filter {
		case "present":
			matches = matches && a.AnyPresent()
		case "absent":
			matches = matches && !a.AnyPresent()
		}
		if matches {
			shown = append(shown, a)
		}
	}
	d.Accounts = shown
	c.render(w, r, "root-access", http.StatusOK, page{Title: "Root access management", Data: d,
		Message: r.URL.Query().Get("done"), Error: r.URL.Query().Get("error")})
}

// centralView audits every member account's root user through an
// IAMAuditRootUserCredentials root session, as the IAM console does.
func (c *Console) centralView(ctx context.Context, s *signedIn) ([]accountStatus, string) {
	client := c.client(s.creds)
	accounts, err := client.ListAccounts(ctx)
	if err != nil {
		return nil, awsMessage(err)
	}
	org, err := client.DescribeOrganization(ctx)
	if err != nil {
		return nil, awsMessage(err)
	}
	var rows []accountStatus
	for _, a := range accounts {
		id := a.ID
		if id == org.MasterAccountID {
			continue
		}
		row := accountStatus{ID: id, Name: a.Name, Email: a.Email, State: a.State}
		root, err := c.auditSession(ctx, s, id)
		if err != nil {
			row.Error = awsMessage(err)
			rows = append(rows, row)
			continue
		}
		m, err := c.client(root).GetAccountSummary(ctx)
		if err != nil {
			row.Error = awsMessage(err)
		} else {
			row.Password = m["AccountPasswordPresent"] > 0
			row.AccessKeys = m["AccountAccessKeysPresent"] > 0
			row.SigningCerts = m["AccountSigningCertificatesPresent"] > 0
			row.MFA = m["AccountMFAEnabled"] > 0
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows, ""
}

// auditSession is the browser session's audit root session in account,
// taken once and kept until it expires.
func (c *Console) auditSession(ctx context.Context, s *signedIn, account string) (aws.Credentials, error) {
	now := c.backend.Now(s.creds.AccessKeyID)
	c.mu.Lock()
	cached, ok := s.audit[account]
	c.mu.Unlock()
	if ok && cached.Expires.After(now.Add(time.Minute)) {
		return cached, nil
	}
	creds, _, err := c.assumeRoot(ctx, s, account, "IAMAuditRootUserCredentials")
	if err != nil {
		return aws.Credentials{}, err
	}
	c.mu.Lock()
	s.audit[account] = creds
	c.mu.Unlock()
	return creds, nil
}

func (c *Console) assumeRoot(ctx context.Context, s *signedIn, account, task string) (aws.Credentials, time.Time, error) {
	creds, err := c.client(s.creds).AssumeRoot(ctx, account, taskARN(task))
	if err != nil {
		return aws.Credentials{}, time.Time{}, err
	}
	return creds, creds.Expires, nil
}

func (c *Console) changeFeature(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	client := c.client(s.creds)
	var err error
	switch r.PostFormValue("change") {
	case "enable-trusted-access":
		err = client.EnableAWSServiceAccess(ctx, "iam.amazonaws.com")
	case "disable-trusted-access":
		err = client.DisableAWSServiceAccess(ctx, "iam.amazonaws.com")
	case "enable-credentials-management":
		err = client.EnableOrganizationsRootCredentialsManagement(ctx)
	case "disable-credentials-management":
		err = client.DisableOrganizationsRootCredentialsManagement(ctx)
	case "enable-root-sessions":
		err = client.EnableOrganizationsRootSessions(ctx)
	case "disable-root-sessions":
		err = client.DisableOrganizationsRootSessions(ctx)
	default:
		http.Error(w, "unknown change", http.StatusBadRequest)
		return
	}
	redirectWith(w, r, Prefix+"/root-access", err, "Saved.")
}

// redirectWith goes back to a page with the outcome in its query: the
// message is AWS's own, never a secret.
func redirectWith(w http.ResponseWriter, r *http.Request, to string, err error, done string) {
	q := "?done=" + url.QueryEscape(done)
	if err != nil {
		q = "?error=" + url.QueryEscape(awsMessage(err))
	}
	http.Redirect(w, r, to+q, http.StatusSeeOther)
}

// takePrivilegedAction opens a root session on an account for one task.
func (c *Console) takePrivilegedAction(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	account, task := r.PostFormValue("account"), r.PostFormValue("task")
	creds, exp, err := c.assumeRoot(r.Context(), s, account, task)
	if err != nil {
		redirectWith(w, r, Prefix+"/root-access", err, "")
		return
	}
	p := &privileged{Handle: randomID(), AccountID: account, Task: task, Creds: creds, Expires: exp}
	c.mu.Lock()
	s.privileged[p.Handle] = p
	c.mu.Unlock()
	http.Redirect(w, r, Prefix+"/root-access/session/"+p.Handle, http.StatusSeeOther)
}

// privilegedData is the page of one root session.
type privilegedData struct {
	Session     *privileged
	ShowSecrets bool
	Expired     bool
	// What the audit and delete tasks see of the root user.
	Password    string
	AccessKeys  []awsapi.AccessKey
	Certs       []awsapi.SigningCertificate
	MFADevices  []awsapi.MFADevice
	Buckets     []string
	Queues      []string
	ReadError   string
	ExportLines string
}

func (c *Console) privilegedSession(r *http.Request) *privileged {
	s := current(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.privileged[chi.URLParam(r, "handle")]
}

func (c *Console) privilegedPage(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	p := c.privilegedSession(r)
	if p == nil {
		http.Error(w, "no such root session in this browser session", http.StatusNotFound)
		return
	}
	now := c.backend.Now(s.creds.AccessKeyID)
	d := privilegedData{Session: p, Expired: !p.Expires.After(now)}
	c.mu.Lock()
	d.ShowSecrets, p.Shown = !p.Shown, true
	c.mu.Unlock()
	if d.ShowSecrets {
		d.ExportLines = "export AWS_ACCESS_KEY_ID=" + p.Creds.AccessKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + p.Creds.SecretAccessKey +
			"\nexport AWS_SESSION_TOKEN=" + p.Creds.SessionToken
	}
	if !d.Expired {
		c.readRootUser(r.Context(), s, p, &d)
	}
	c.render(w, r, "session", http.StatusOK, page{Title: "Privileged action", Nav: "root-access", Data: d,
		Message: r.URL.Query().Get("done"), Error: r.URL.Query().Get("error")})
}

// readRootUser fills in what the session's task lets it see, through the
// session itself: a refusal is shown as AWS words it.
func (c *Console) readRootUser(ctx context.Context, s *signedIn, p *privileged, d *privilegedData) {
	root := c.client(p.Creds)
	switch p.Task {
	case "IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials":
		d.Password = "absent"
		if err := root.GetLoginProfile(ctx); err == nil {
			d.Password = "present"
		} else if !isCode(err, "NoSuchEntity") {
			d.ReadError = awsMessage(err)
		}
		if keys, err := root.ListAccessKeys(ctx); err == nil {
			d.AccessKeys = keys
		} else {
			d.ReadError = awsMessage(err)
		}
		if certs, err := root.ListSigningCertificates(ctx); err == nil {
			d.Certs = certs
		} else {
			d.ReadError = awsMessage(err)
		}
		if mfa, err := root.ListMFADevices(ctx); err == nil {
			d.MFADevices = mfa
		} else {
			d.ReadError = awsMessage(err)
		}
	case "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy":
		// The unlock tasks cannot list; the account's access role, where the
		// signed-in principal may assume it, names the candidates.
		d.Buckets, d.Queues = c.accountResources(ctx, s, p.AccountID)
	}
}

func (c *Console) runTask(w http.ResponseWriter, r *http.Request) {
	p := c.privilegedSession(r)
	if p == nil {
		http.Error(w, "no such root session in this browser session", http.StatusNotFound)
		return
	}
	ctx := r.Context()
	root := c.client(p.Creds)
	var err error
	done := "Done."
	switch r.PostFormValue("action") {
	case "delete-password":
		err = root.DeleteLoginProfile(ctx)
		done = "The root user's password is deleted."
	case "delete-access-key":
		err = root.DeleteAccessKey(ctx, r.PostFormValue("id"))
		done = "The access key is deleted."
	case "delete-signing-certificate":
		err = root.DeleteSigningCertificate(ctx, r.PostFormValue("id"))
		done = "The signing certificate is deleted."
	case "deactivate-mfa":
		err = root.DeactivateMFADevice(ctx, r.PostFormValue("id"))
		done = "The MFA device is deactivated."
	case "create-password":
		err = root.CreateLoginProfile(ctx)
		done = "Password recovery is allowed: the root user can now reset its password by email."
	case "unlock-bucket":
		err = root.DeleteBucketPolicy(ctx, strings.TrimSpace(r.PostFormValue("bucket")))
		done = "The bucket policy is deleted."
	case "unlock-queue":
		err = root.SetQueueAttributes(ctx, strings.TrimSpace(r.PostFormValue("queue")), map[string]string{"Policy": ""})
		done = "The queue policy is deleted."
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	redirectWith(w, r, Prefix+"/root-access/session/"+p.Handle, err, done)
}

// --- organization ---

type orgNode struct {
	ID, Name, Kind, State string
	Children              []orgNode
}

func (c *Console) organization(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	client := c.client(s.creds)
	var tree []orgNode
	var errMsg string
	roots, err := client.ListRoots(ctx)
	if err != nil {
		errMsg = awsMessage(err)
	} else {
		for _, root := range roots {
			tree = append(tree, c.orgSubtree(ctx, client, root.ID, root.Name, "root", 0))
		}
	}
	c.render(w, r, "organization", http.StatusOK, page{Title: "Organization", Data: tree, Error: errMsg})
}

func (c *Console) orgSubtree(ctx context.Context, client *awsapi.Client, id, name, kind string, depth int) orgNode {
	n := orgNode{ID: id, Name: name, Kind: kind}
	if depth > 6 {
		return n
	}
	// A listing that fails shows what its pages before the failure held
	// (an emulator without OUs answers UnknownOperation: accounts only).
	ous, _ := client.ListOrganizationalUnitsForParent(ctx, id)
	for _, ou := range ous {
		n.Children = append(n.Children, c.orgSubtree(ctx, client, ou.ID, ou.Name, "ou", depth+1))
	}
	accounts, _ := client.ListAccountsForParent(ctx, id)
	for _, a := range accounts {
		n.Children = append(n.Children, orgNode{ID: a.ID, Name: a.Name, Kind: "account", State: a.State})
	}
	return n
}

// --- sessions ---

func (c *Console) sessionsPage(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	sessions, err := c.backend.Sessions(r.Context(), s.creds.AccessKeyID, s.accountID)
	p := page{Title: "Sessions", Data: sessions}
	if err != nil {
		c.log.Error("console sessions", "error", err)
		p.Error = "the sessions could not be read"
	}
	c.render(w, r, "sessions", http.StatusOK, p)
}

// --- resources ---

type accountResources struct {
	ID, Name string
	Buckets  []resourceRow
	Queues   []resourceRow
	Error    string
}

type resourceRow struct {
	Name   string
	Locked bool
}

// resourcesData is the Resources page: one page of the organization's
// accounts (ListAccounts' page, 20), each read through its access role,
// and the token of the next page.
type resourcesData struct {
	Accounts []accountResources
	Next     string
	Paged    bool // not the first page: offer the way back
}

func (c *Console) resources(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	client := c.client(s.creds)
	// A page of accounts at a time, as ListAccounts pages: every account
	// shown costs an AssumeRole and a listing of its buckets and queues.
	token := r.URL.Query().Get("page")
	d := resourcesData{Paged: token != ""}
	accounts, next, err := client.ListAccountsPage(ctx, token)
	var errMsg string
	switch {
	case err != nil && token != "":
		errMsg = awsMessage(err) // a stale or forged page token
	case err != nil:
		// Outside an organization: the caller's own account only.
		d.Accounts = append(d.Accounts, c.resourcesOf(ctx, s.creds, s.accountID, "this account"))
	default:
		d.Next = next
		for _, a := range accounts {
			creds := s.creds
			if a.ID != s.accountID {
				creds, err = client.AssumeRole(ctx, accessRoleARN(a.ID), "console")
				if err != nil {
					d.Accounts = append(d.Accounts, accountResources{ID: a.ID, Name: a.Name, Error: awsMessage(err)})
					continue
				}
			}
			d.Accounts = append(d.Accounts, c.resourcesOf(ctx, creds, a.ID, a.Name))
		}
	}
	c.render(w, r, "resources", http.StatusOK, page{Title: "Resources", Data: d, Error: errMsg})
}

// accountResources names the buckets and queues of account, through its
// access role, for the unlock tasks' pages.
func (c *Console) accountResources(ctx context.Context, s *signedIn, account string) (buckets, queues []string) {
	creds, err := c.client(s.creds).AssumeRole(ctx, accessRoleARN(account), "console")
	if err != nil {
		return nil, nil
	}
	res := c.resourcesOf(ctx, creds, account, "")
	for _, b := range res.Buckets {
		buckets = append(buckets, b.Name)
	}
	for _, q := range res.Queues {
		queues = append(queues, q.Name)
	}
	return buckets, queues
}

func (c *Console) resourcesOf(ctx context.Context, creds aws.Credentials, id, name string) accountResources {
	client := c.client(creds)
	row := accountResources{ID: id, Name: name}
	if buckets, err := client.ListBuckets(ctx); err == nil {
		for _, b := range buckets {
			locked := false
			if pol, err := client.GetBucketPolicy(ctx, b); err == nil {
				locked = deniesEveryone(pol)
			} else if isCode(err, "AccessDenied") {
				locked = true // the policy refuses even its reading
			}
			row.Buckets = append(row.Buckets, resourceRow{Name: b, Locked: locked})
		}
	} else {
		row.Error = awsMessage(err)
	}
	if queues, err := client.ListQueues(ctx); err == nil {
		for _, u := range queues {
			locked := false
			attrs, err := client.GetQueueAttributes(ctx, u, "Policy")
			if err == nil {
				locked = deniesEveryone(attrs["Policy"])
			} else if isCode(err, "AccessDenied") {
				locked = true
			}
			row.Queues = append(row.Queues, resourceRow{Name: u, Locked: locked})
		}
	} else if row.Error == "" {
		row.Error = awsMessage(err)
	}
	return row
}

// deniesEveryone reports whether a resource policy has a Deny statement for
// every principal and every action of its service: the "locked" badge.
func deniesEveryone(doc string) bool {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	var statements []map[string]any
	if json.Unmarshal(p.Statement, &statements) != nil {
		var one map[string]any
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		statements = []map[string]any{one}
	}
	for _, st := range statements {
		if st["Effect"] != "Deny" || st["Condition"] != nil {
			continue
		}
		everyone := st["Principal"] == "*"
		if m, ok := st["Principal"].(map[string]any); ok {
			everyone = m["AWS"] == "*"
		}
		if everyone && allActions(st["Action"]) {
			return true
		}
	}
	return false
}

func allActions(v any) bool {
	list := []any{v}
	if l, ok := v.([]any); ok {
		list = l
	}
	for _, a := range list {
		if s, ok := a.(string); ok && (s == "*" || strings.HasSuffix(s, ":*")) {
			return true
		}
	}
	return false
}

// --- audit ---

type auditData struct {
	Available bool
	Account   string
	EventName string
	Username  string
	AccessKey string
	Events    []auditEvent
	ViaRole   bool
}

type auditEvent struct {
	Time                 time.Time
	Name, User, Source   string
	AccessKey, ErrorCode string
	// IssuedKey and Target are an AssumeRoot event's issued key and member
	// account: the correlation link.
	IssuedKey, Target string
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := auditData{Account: q.Get("account"), EventName: q.Get("event"), Username: q.Get("user"), AccessKey: q.Get("access_key")}
	creds := s.creds
	if d.Account != "" && d.Account != s.accountID {
		var err error
		creds, err = c.client(s.creds).AssumeRole(ctx, accessRoleARN(d.Account), "console-audit")
		if err != nil {
			c.render(w, r, "audit", http.StatusOK, page{Title: "Audit", Data: d, Error: awsMessage(err)})
			return
		}
		d.ViaRole = true
	}
	var filter []awsapi.LookupAttribute
	switch {
	case d.EventName != "":
		filter = []awsapi.LookupAttribute{{AttributeKey: "EventName", AttributeValue: d.EventName}}
	case d.Username != "":
		filter = []awsapi.LookupAttribute{{AttributeKey: "Username", AttributeValue: d.Username}}
	case d.AccessKey != "":
		filter = []awsapi.LookupAttribute{{AttributeKey: "AccessKeyId", AttributeValue: d.AccessKey}}
	}
	events, err := c.client(creds).LookupEvents(ctx, 50, filter...)
	var errMsg string
	switch {
	case isCode(err, "UnknownOperationException", "MethodNotAllowed", "NotImplemented", "InvalidAction"):
		// This build serves no CloudTrail: the page says so.
	case err != nil:
		d.Available, errMsg = true, awsMessage(err)
	default:
		d.Available = true
		for _, e := range events {
			ev := auditEvent{Time: e.EventTime, Name: e.EventName, User: e.Username, Source: e.EventSource, AccessKey: e.AccessKeyID}
			var rec struct {
				ErrorCode         string `json:"errorCode"`
				RequestParameters struct {
					TargetPrincipal string `json:"targetPrincipal"`
				} `json:"requestParameters"`
				ResponseElements struct {
					Credentials struct {
						AccessKeyID string `json:"accessKeyId"`
					} `json:"credentials"`
				} `json:"responseElements"`
			}
			if json.Unmarshal([]byte(e.CloudTrailEvent), &rec) == nil {
				ev.ErrorCode = rec.ErrorCode
				if ev.Name == "AssumeRoot" {
					ev.IssuedKey = rec.ResponseElements.Credentials.AccessKeyID
					ev.Target = strings.TrimSuffix(strings.TrimPrefix(rec.RequestParameters.TargetPrincipal, "arn:aws:iam::"), ":root")
				}
			}
			d.Events = append(d.Events, ev)
		}
	}
	c.render(w, r, "audit", http.StatusOK, page{Title: "Audit", Data: d, Error: errMsg})
}

// --- clock ---

func (c *Console) clockPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "clock", http.StatusOK, page{Title: "Clock", Message: r.URL.Query().Get("done"), Error: r.URL.Query().Get("error")})
}

func (c *Console) moveClock(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	d, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("advance")))
	if err != nil || d <= 0 {
		http.Redirect(w, r, Prefix+"/clock?error="+url.QueryEscape("advance must be a positive duration such as 16m or 2h"), http.StatusSeeOther)
		return
	}
	if err := c.backend.MoveClock(r.Context(), s.creds.AccessKeyID, r.PostFormValue("token"), d); err != nil {
		http.Redirect(w, r, Prefix+"/clock?error="+url.QueryEscape(err.Error()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"/clock?done="+url.QueryEscape("Emulated time moved forward by "+d.String()+"."), http.StatusSeeOther)
}

// now is the emulated time, for the pages' countdowns.
func (c *Console) now(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"now": c.backend.Now(s.creds.AccessKeyID).UTC().Format(time.RFC3339)})
}
