// Package console is the emulator's web console for root access
// management, after the IAM console's "Root access management" page.
//
// It is an AWS client of the emulator: every page is built from the same
// AWS API calls a script would make (its own small client, internal/awsapi,
// signs them with the signed-in principal's keys and sends them to the
// emulator's AWS endpoint in process), so it shows the store as the APIs do, refuses what the
// principal's policies refuse, and reports errors in AWS's own words. The
// few things AWS has no API for (emulated time, the sessions issued in an
// account) come from the Backend.
//
// Security: the signed-in keys stay on the server, in memory; the browser
// holds a random session id in a signed, HttpOnly, SameSite=Strict cookie.
// Every form carries the session's CSRF token, pages are served with a
// Content-Security-Policy that allows only the console's own script and
// style, and no secret is ever put in a URL or a log line.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-chi/chi/v5"

	"github.com/rootaccess/emulator/pkg/console/internal/awsapi"
)

// Prefix is where the console lives. S3 bucket names cannot start with an
// underscore, so no bucket path is ever taken for a console page.
const Prefix = "/_console"

// Backend is what the console needs from the emulator beyond its AWS APIs.
type Backend interface {
	// AWS is the emulator's AWS endpoint (every tenant's), called in process.
	AWS() http.Handler
	// Now is the emulated time of the world that holds the access key.
	Now(keyID string) time.Time
	// Sessions lists the temporary credentials issued in the account of the
	// world that holds the access key, newest first.
	Sessions(ctx context.Context, keyID, accountID string) ([]Session, error)
	// MoveClock moves that world's emulated time forward by d; token is the
	// world's control token (checked as the control endpoints check it).
	MoveClock(ctx context.Context, keyID, token string, d time.Duration) error
}

// Session is one temporary credential, as the sessions page lists it.
type Session struct {
	AccessKeyID string
	Kind        string // root-session or role-session
	AccountID   string
	Principal   string // the root ARN or the role ARN
	Name        string // role session name
	TaskPolicy  string // root sessions' task policy ARN
	IssuedBy    string // access key id of the issuer
	Issued      time.Time
	Expires     time.Time
}

// Console serves the web console.
type Console struct {
	backend  Backend
	log      *slog.Logger
	pages    map[string]*template.Template
	cookieMK []byte
	mu       sync.Mutex
	sessions map[string]*signedIn
	router   http.Handler
}

// signedIn is one browser session: the keys it signed in with and the root
// sessions it took, kept on the server only.
type signedIn struct {
	id        string
	csrf      string
	creds     aws.Credentials
	arn       string
	accountID string
	started   time.Time
	// privileged are the root sessions taken from the console, by a handle
	// that forms carry instead of the credentials.
	privileged map[string]*privileged
	// audit caches one IAMAuditRootUserCredentials session per account for
	// the central view, until it expires.
	audit map[string]aws.Credentials
}

type privileged struct {
	Handle    string
	AccountID string
	Task      string
	Creds     aws.Credentials
	Expires   time.Time
	// Shown says the credentials were displayed once already.
	Shown bool
}

//go:embed templates/*.html static/*
var files embed.FS

// New returns the console over backend.
func New(backend Backend, log *slog.Logger) *Console {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Console{backend: backend, log: log, pages: map[string]*template.Template{},
		cookieMK: randomBytes(32), sessions: map[string]*signedIn{}}
	funcs := template.FuncMap{
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"short":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") },
		"featureRow": func(label string, on bool, key, csrf string) featureRow {
			return featureRow{Label: label, On: on, Key: key, CSRF: csrf}
		},
		"actionRow": func(handle, action, id, label, csrf string) actionRow {
			return actionRow{Handle: handle, Action: action, ID: id, Label: label, CSRF: csrf}
		},
		"yesno": func(b bool) string {
			if b {
				return "present"
			}
			return "absent"
		},
	}
	pages, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		c.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", p))
	}
	c.router = c.routes()
	return c
}

func (c *Console) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	static, _ := fs.Sub(files, "static")
	r.Handle(Prefix+"/static/*", http.StripPrefix(Prefix+"/static/", http.FileServer(http.FS(static))))
	r.Get(Prefix+"/signin", c.signInPage)
	r.Post(Prefix+"/signin", c.signIn)
	r.Group(func(r chi.Router) {
		r.Use(c.requireSession)
		r.Get(Prefix, c.home)
		r.Get(Prefix+"/", c.home)
		r.Post(Prefix+"/signout", c.signOut)
		r.Get(Prefix+"/root-access", c.rootAccess)
		r.Post(Prefix+"/root-access/features", c.changeFeature)
		r.Post(Prefix+"/root-access/session", c.takePrivilegedAction)
		r.Get(Prefix+"/root-access/session/{handle}", c.privilegedPage)
		r.Post(Prefix+"/root-access/session/{handle}", c.runTask)
		r.Get(Prefix+"/organization", c.organization)
		r.Get(Prefix+"/sessions", c.sessionsPage)
		r.Get(Prefix+"/resources", c.resources)
		r.Get(Prefix+"/audit", c.audit)
		r.Get(Prefix+"/clock", c.clockPage)
		r.Post(Prefix+"/clock", c.moveClock)
		r.Get(Prefix+"/now", c.now)
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such console page", http.StatusNotFound)
	})
	return r
}

// ServeHTTP serves the console's pages under Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.router.ServeHTTP(w, r) }

// securityHeaders keeps the console's pages to its own script and style,
// out of frames, and out of caches.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

const cookieName = "emulator_console"

// sessionCookie is the session id with its HMAC, so that a cookie the
// console did not issue is refused before any lookup.
func (c *Console) sessionCookie(id string) string {
	m := hmac.New(sha256.New, c.cookieMK)
	m.Write([]byte(id))
	return id + "." + hex.EncodeToString(m.Sum(nil))
}

func (c *Console) sessionOf(r *http.Request) *signedIn {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	id, _, ok := strings.Cut(ck.Value, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(c.sessionCookie(id)), []byte(ck.Value)) != 1 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions[id]
}

type sessionKey struct{}

func (c *Console) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.sessionOf(r)
		if s == nil {
			http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
			http.Error(w, "the form's CSRF token is missing or wrong: reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

func current(r *http.Request) *signedIn { return r.Context().Value(sessionKey{}).(*signedIn) }

// client calls the emulator's AWS APIs signed with creds, in process.
func (c *Console) client(creds aws.Credentials) *awsapi.Client {
	return awsapi.New(c.backend.AWS(), creds)
}

// page is what every template gets.
type page struct {
	Title     string
	Nav       string
	User      string
	Account   string
	CSRF      string
	Now       time.Time
	Error     string
	Message   string
	Data      any
	SignedOut bool
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	if s, ok := r.Context().Value(sessionKey{}).(*signedIn); ok {
		p.User, p.Account, p.CSRF = s.arn, s.accountID, s.csrf
		p.Now = c.backend.Now(s.creds.AccessKeyID)
	}
	if p.Nav == "" {
		p.Nav = name
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.pages[name].Execute(w, p); err != nil {
		c.log.Error("render console page", "page", name, "error", err)
	}
}

// featureRow and actionRow are the arguments of the templates' sub-templates.
type featureRow struct {
	Label, Key, CSRF string
	On               bool
}

type actionRow struct{ Handle, Action, ID, Label, CSRF string }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(18)) }
