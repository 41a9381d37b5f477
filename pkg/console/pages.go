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
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/go-chi/chi/v5"
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

// awsMessage is an error in AWS's own words: code and message.
func awsMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
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
	who, err := sts.NewFromConfig(c.config(creds)).GetCallerIdentity(r.Context(), nil)
	if err != nil {
		c.render(w, r, "signin", http.StatusUnauthorized, page{Title: "Sign in", SignedOut: true, Error: awsMessage(err)})
		return
	}
	s := &signedIn{id: randomID(), csrf: randomID(), creds: creds, arn: aws.ToString(who.Arn), accountID: aws.ToString(who.Account),
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
	cfg := c.config(s.creds)
	d := rootAccessData{Filter: r.URL.Query().Get("filter"), Query: strings.TrimSpace(r.URL.Query().Get("q")), Tasks: tasks}
	if access, err := organizations.NewFromConfig(cfg).ListAWSServiceAccessForOrganization(ctx, nil); err == nil {
		for _, p := range access.EnabledServicePrincipals {
			d.TrustedAccess = d.TrustedAccess || aws.ToString(p.ServicePrincipal) == "iam.amazonaws.com"
		}
	} else {
		d.FeaturesError = awsMessage(err)
	}
	if features, err := iam.NewFromConfig(cfg).ListOrganizationsFeatures(ctx, nil); err == nil {
		for _, f := range features.EnabledFeatures {
			d.CredentialsManaged = d.CredentialsManaged || f == iamtypes.FeatureTypeRootCredentialsManagement
			d.RootSessions = d.RootSessions || f == iamtypes.FeatureTypeRootSessions
		}
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
	cfg := c.config(s.creds)
	var accounts []orgtypes.Account
	p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsMessage(err)
		}
		accounts = append(accounts, out.Accounts...)
	}
	org, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, nil)
	if err != nil {
		return nil, awsMessage(err)
	}
	management := aws.ToString(org.Organization.MasterAccountId)
	var rows []accountStatus
	for _, a := range accounts {
		id := aws.ToString(a.Id)
		if id == management {
			continue
		}
		row := accountStatus{ID: id, Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), State: string(a.State)}
		root, err := c.auditSession(ctx, s, id)
		if err != nil {
			row.Error = awsMessage(err)
			rows = append(rows, row)
			continue
		}
		summary, err := iam.NewFromConfig(c.config(root)).GetAccountSummary(ctx, nil)
		if err != nil {
			row.Error = awsMessage(err)
		} else {
			m := summary.SummaryMap
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
	out, err := sts.NewFromConfig(c.config(s.creds)).AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(account),
		TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(taskARN(task))}})
	if err != nil {
		return aws.Credentials{}, time.Time{}, err
	}
	exp := aws.ToTime(out.Credentials.Expiration)
	return aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken), CanExpire: true, Expires: exp}, exp, nil
}

func (c *Console) changeFeature(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	cfg := c.config(s.creds)
	var err error
	switch r.PostFormValue("change") {
	case "enable-trusted-access":
		_, err = organizations.NewFromConfig(cfg).EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	case "disable-trusted-access":
		_, err = organizations.NewFromConfig(cfg).DisableAWSServiceAccess(ctx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")})
	case "enable-credentials-management":
		_, err = iam.NewFromConfig(cfg).EnableOrganizationsRootCredentialsManagement(ctx, nil)
	case "disable-credentials-management":
		_, err = iam.NewFromConfig(cfg).DisableOrganizationsRootCredentialsManagement(ctx, nil)
	case "enable-root-sessions":
		_, err = iam.NewFromConfig(cfg).EnableOrganizationsRootSessions(ctx, nil)
	case "disable-root-sessions":
		_, err = iam.NewFromConfig(cfg).DisableOrganizationsRootSessions(ctx, nil)
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
	AccessKeys  []iamtypes.AccessKeyMetadata
	Certs       []iamtypes.SigningCertificate
	MFADevices  []iamtypes.MFADevice
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
	root := iam.NewFromConfig(c.config(p.Creds))
	switch p.Task {
	case "IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials":
		d.Password = "absent"
		if _, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err == nil {
			d.Password = "present"
		} else if !isCode(err, "NoSuchEntity") {
			d.ReadError = awsMessage(err)
		}
		if keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err == nil {
			d.AccessKeys = keys.AccessKeyMetadata
		} else {
			d.ReadError = awsMessage(err)
		}
		if certs, err := root.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{}); err == nil {
			d.Certs = certs.Certificates
		} else {
			d.ReadError = awsMessage(err)
		}
		if mfa, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err == nil {
			d.MFADevices = mfa.MFADevices
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
	cfg := c.config(p.Creds)
	root := iam.NewFromConfig(cfg)
	var err error
	done := "Done."
	switch r.PostFormValue("action") {
	case "delete-password":
		_, err = root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
		done = "The root user's password is deleted."
	case "delete-access-key":
		_, err = root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(r.PostFormValue("id"))})
		done = "The access key is deleted."
	case "delete-signing-certificate":
		_, err = root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String(r.PostFormValue("id"))})
		done = "The signing certificate is deleted."
	case "deactivate-mfa":
		_, err = root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(r.PostFormValue("id"))})
		done = "The MFA device is deactivated."
	case "create-password":
		_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
		done = "Password recovery is allowed: the root user can now reset its password by email."
	case "unlock-bucket":
		_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).DeleteBucketPolicy(ctx,
			&s3.DeleteBucketPolicyInput{Bucket: aws.String(strings.TrimSpace(r.PostFormValue("bucket")))})
		done = "The bucket policy is deleted."
	case "unlock-queue":
		_, err = sqs.NewFromConfig(cfg).SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl: aws.String(strings.TrimSpace(r.PostFormValue("queue"))), Attributes: map[string]string{"Policy": ""}})
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
	client := organizations.NewFromConfig(c.config(s.creds))
	var tree []orgNode
	var errMsg string
	roots, err := client.ListRoots(ctx, nil)
	if err != nil {
		errMsg = awsMessage(err)
	} else {
		for _, root := range roots.Roots {
			tree = append(tree, c.orgSubtree(ctx, client, aws.ToString(root.Id), aws.ToString(root.Name), "root", 0))
		}
	}
	c.render(w, r, "organization", http.StatusOK, page{Title: "Organization", Data: tree, Error: errMsg})
}

func (c *Console) orgSubtree(ctx context.Context, client *organizations.Client, id, name, kind string, depth int) orgNode {
	n := orgNode{ID: id, Name: name, Kind: kind}
	if depth > 6 {
		return n
	}
	ous := organizations.NewListOrganizationalUnitsForParentPaginator(client, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(id)})
	for ous.HasMorePages() {
		out, err := ous.NextPage(ctx)
		if err != nil {
			break // an emulator without OUs answers UnknownOperation: accounts only
		}
		for _, ou := range out.OrganizationalUnits {
			n.Children = append(n.Children, c.orgSubtree(ctx, client, aws.ToString(ou.Id), aws.ToString(ou.Name), "ou", depth+1))
		}
	}
	accounts := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{ParentId: aws.String(id)})
	for accounts.HasMorePages() {
		out, err := accounts.NextPage(ctx)
		if err != nil {
			break
		}
		for _, a := range out.Accounts {
			n.Children = append(n.Children, orgNode{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Kind: "account", State: string(a.State)})
		}
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

func (c *Console) resources(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	ctx := r.Context()
	var rows []accountResources
	accounts, err := organizations.NewFromConfig(c.config(s.creds)).ListAccounts(ctx, nil)
	var errMsg string
	if err != nil {
		// Outside an organization: the caller's own account only.
		rows = append(rows, c.resourcesOf(ctx, s.creds, s.accountID, "this account"))
	} else {
		for _, a := range accounts.Accounts {
			id := aws.ToString(a.Id)
			creds := s.creds
			if id != s.accountID {
				out, err := sts.NewFromConfig(c.config(s.creds)).AssumeRole(ctx, &sts.AssumeRoleInput{
					RoleArn: aws.String("arn:aws:iam::" + id + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("console")})
				if err != nil {
					rows = append(rows, accountResources{ID: id, Name: aws.ToString(a.Name), Error: awsMessage(err)})
					continue
				}
				creds = aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
					SessionToken: aws.ToString(out.Credentials.SessionToken)}
			}
			rows = append(rows, c.resourcesOf(ctx, creds, id, aws.ToString(a.Name)))
		}
	}
	c.render(w, r, "resources", http.StatusOK, page{Title: "Resources", Data: rows, Error: errMsg})
}

// accountResources names the buckets and queues of account, through its
// access role, for the unlock tasks' pages.
func (c *Console) accountResources(ctx context.Context, s *signedIn, account string) (buckets, queues []string) {
	out, err := sts.NewFromConfig(c.config(s.creds)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("console")})
	if err != nil {
		return nil, nil
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
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
	cfg := c.config(creds)
	row := accountResources{ID: id, Name: name}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if buckets, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		for _, b := range buckets.Buckets {
			locked := false
			if pol, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.Name}); err == nil {
				locked = deniesEveryone(aws.ToString(pol.Policy))
			} else if isCode(err, "AccessDenied") {
				locked = true // the policy refuses even its reading
			}
			row.Buckets = append(row.Buckets, resourceRow{Name: aws.ToString(b.Name), Locked: locked})
		}
	} else {
		row.Error = awsMessage(err)
	}
	q := sqs.NewFromConfig(cfg)
	if queues, err := q.ListQueues(ctx, &sqs.ListQueuesInput{}); err == nil {
		for _, u := range queues.QueueUrls {
			locked := false
			attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
			if err == nil {
				locked = deniesEveryone(attrs.Attributes["Policy"])
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
		out, err := sts.NewFromConfig(c.config(s.creds)).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + d.Account + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("console-audit")})
		if err != nil {
			c.render(w, r, "audit", http.StatusOK, page{Title: "Audit", Data: d, Error: awsMessage(err)})
			return
		}
		creds = aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken)}
		d.ViaRole = true
	}
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50)}
	switch {
	case d.EventName != "":
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(d.EventName)}}
	case d.Username != "":
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String(d.Username)}}
	case d.AccessKey != "":
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(d.AccessKey)}}
	}
	out, err := cloudtrail.NewFromConfig(c.config(creds)).LookupEvents(ctx, in)
	var errMsg string
	switch {
	case isCode(err, "UnknownOperationException", "MethodNotAllowed", "NotImplemented", "InvalidAction"):
		// This build serves no CloudTrail: the page says so.
	case err != nil:
		d.Available, errMsg = true, awsMessage(err)
	default:
		d.Available = true
		for _, e := range out.Events {
			ev := auditEvent{Time: aws.ToTime(e.EventTime), Name: aws.ToString(e.EventName), User: aws.ToString(e.Username),
				Source: aws.ToString(e.EventSource), AccessKey: aws.ToString(e.AccessKeyId)}
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
			if json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) == nil {
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
