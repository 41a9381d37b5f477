package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rootaccess/emulator/pkg/console"
)

// consoleBackend gives the web console what AWS has no API for: emulated
// time, the sessions issued in an account, and moving the clock. Each
// answer is about the world (tenant) that holds the signed-in key.
type consoleBackend struct{ s *Server }

var _ console.Backend = consoleBackend{}

func (b consoleBackend) AWS() http.Handler { return http.HandlerFunc(b.s.serveAWS) }

func (b consoleBackend) Now(keyID string) time.Time {
	return b.s.worldOfKey(context.Background(), keyID).clock.Now()
}

func (b consoleBackend) Sessions(ctx context.Context, keyID, accountID string) ([]console.Session, error) {
	creds, err := b.s.worldOfKey(ctx, keyID).store.SessionsIssuedIn(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]console.Session, 0, len(creds))
	for _, c := range creds {
		out = append(out, console.Session{AccessKeyID: c.AccessKeyID, Kind: c.Kind, AccountID: c.AccountID,
			Principal: c.PrincipalARN, Name: c.SessionName, TaskPolicy: c.TaskPolicyARN, IssuedBy: c.IssuedBy,
			Issued: c.CreatedAt, Expires: c.ExpiresAt})
	}
	return out, nil
}

// errControlToken is the console's word for a wrong or missing control token.
var errControlToken = errors.New("this world's control token is needed to move its clock (the one its /_emulator endpoints take)")

func (b consoleBackend) MoveClock(ctx context.Context, keyID, token string, d time.Duration) error {
	w := b.s.worldOfKey(ctx, keyID)
	if w.controlToken != "" && !constantTimeEqual(token, w.controlToken) &&
		(w.operatorToken == "" || !constantTimeEqual(token, w.operatorToken)) {
		return errControlToken
	}
	w.clock.Advance(d)
	if err := w.store.SetClockOffset(ctx, w.clock.Offset()); err != nil {
		return err
	}
	w.log.Info("clock moved from the console", "advance", d.String(), "offset", w.clock.Offset().String())
	return nil
}

// newConsole is the web console over this server's worlds.
func (s *Server) newConsole() *console.Console { return console.New(consoleBackend{s}, s.log) }

// isBrowserVisit tells a person's browser asking for the root page from an
// AWS request: no signature of any kind, and HTML accepted.
func isBrowserVisit(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Authorization") == "" && !r.URL.Query().Has("X-Amz-Credential") &&
		acceptsHTML(r.Header.Get("Accept"))
}

func acceptsHTML(accept string) bool { return strings.Contains(accept, "text/html") }
