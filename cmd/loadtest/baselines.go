package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	bolt "go.etcd.io/bbolt"

	"github.com/rootaccess/emulator/pkg/store"
)

// The baselines the emulator is measured beside, built by this harness:
// a bare net/http server that verifies SigV4 (hand-rolled, signing key
// cached) and answers GetCallerIdentity in XML, in a process of its own so
// that its CPU can be read apart from the load generator's; and bbolt
// commit loops on the same disk as the emulator's data file.

// startBare runs this program again as the bare server, its bbolt file
// (for the AssumeRoot stand-in) at boltPath.
// With profile set, it writes its CPU profile there when sent SIGTERM.
func startBare(boltPath, profile string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, "-bare-server", addr, "-bare-bolt", boltPath, "-bare-cpuprofile", profile)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	u := "http://" + addr
	probe := signedRequest(u, "sts", callerIdentityBody, aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret})
	client := &http.Client{Timeout: time.Second}
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		if resp, err := client.Do(probe.new()); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, u, nil
			}
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, "", errors.New("the bare server did not start")
}

type bareIdentity struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string
		UserID  string `xml:"UserId"`
		Account string
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// bareCommit is the bare server's answer to any other action: one bbolt
// commit of ~400 bytes (an AssumeRoot session's size) before a small XML
// answer. It is the floor of a lone durable AssumeRoot: HTTP, SigV4 and
// one commit, and nothing else an AssumeRoot does.
type bareCommit struct {
	XMLName   xml.Name `xml:"CommitResponse"`
	Key       string   `xml:"CommitResult>Key"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

// serveBare serves GetCallerIdentity for the administrator key, and one
// bbolt commit for any other action, until killed (SIGTERM writes the
// CPU profile, if one is being taken).
func serveBare(addr, boltPath, profile string) {
	if profile != "" {
		f, err := os.Create(profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bare server:", err)
			os.Exit(1)
		}
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		go func() {
			<-stop
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	var keys sync.Map // date/region/service → signing key
	bf, err := openBolt(boltPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare server:", err)
		os.Exit(1)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		if !bareVerify(r, body, &keys) {
			http.Error(w, "signature", http.StatusForbidden)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") == "" {
			http.Error(w, "action", http.StatusBadRequest)
			return
		}
		var id [16]byte
		_, _ = rand.Read(id[:])
		if form.Get("Action") != "GetCallerIdentity" {
			value := make([]byte, 400)
			_, _ = rand.Read(value)
			if err := bf.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(sessionsBucket).Put(id[:], value) }); err != nil {
				http.Error(w, "commit", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/xml")
			_ = xml.NewEncoder(w).Encode(bareCommit{Key: hex.EncodeToString(id[:]), RequestID: hex.EncodeToString(id[:])})
			return
		}
		out := bareIdentity{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", RequestID: hex.EncodeToString(id[:])}
		out.Result.Arn, out.Result.UserID, out.Result.Account = "arn:aws:iam::111111111111:user/admin", "AIDAADMIN", "111111111111"
		w.Header().Set("Content-Type", "text/xml")
		_ = xml.NewEncoder(w).Encode(out)
	})
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "bare server:", err)
		os.Exit(1)
	}
}

// bareVerify checks a header-signed SigV4 request made with the
// administrator's secret.
func bareVerify(r *http.Request, body []byte, keys *sync.Map) bool {
	algo, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || algo != "AWS4-HMAC-SHA256" {
		return false
	}
	var scope, signed []string
	var signature string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope = strings.Split(v, "/")
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		case "Signature":
			signature = v
		}
	}
	if len(scope) != 5 || scope[0] != adminKey || len(signed) == 0 {
		return false
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.URL.EscapedPath() + "\n" + r.URL.RawQuery + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		b.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	hash := sha256.Sum256([]byte(b.String()))
	toSign := "AWS4-HMAC-SHA256\n" + r.Header.Get("X-Amz-Date") + "\n" + strings.Join(scope[1:], "/") + "\n" + hex.EncodeToString(hash[:])
	id := scope[1] + "/" + scope[2] + "/" + scope[3]
	key, ok := keys.Load(id)
	if !ok {
		mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
		key = mac(mac(mac(mac([]byte("AWS4"+adminSecret), scope[1]), scope[2]), scope[3]), "aws4_request")
		keys.Store(id, key)
	}
	h := hmac.New(sha256.New, key.([]byte))
	h.Write([]byte(toSign))
	return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(h.Sum(nil))), []byte(signature)) == 1
}

// boltFile is a bare bbolt file beside the emulator's data files, on the
// same disk, for commit loops of one ~400-byte Put per write (an AssumeRoot
// session's size).
type boltFile struct {
	db   *bolt.DB
	path string
}

var sessionsBucket = []byte("sessions")

func openBolt(path string) (*boltFile, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(sessionsBucket); return err }); err != nil {
		db.Close()
		return nil, err
	}
	return &boltFile{db: db, path: path}, nil
}

func (b *boltFile) close() {
	b.db.Close()
	os.Remove(b.path)
}

// run commits from writers goroutines for d, with db.Update (one fsync
// each) or db.Batch (bbolt's defaults: up to 1000 per batch, 10 ms delay).
func (b *boltFile) run(writers int, batch bool, d time.Duration) loadResult {
	commit := b.db.Update
	if batch {
		commit = b.db.Batch
	}
	return commitLoop(writers, d, func() func() error {
		key, value := make([]byte, 16), make([]byte, 400)
		_, _ = rand.Read(key)
		_, _ = rand.Read(value)
		return func() error {
			return commit(func(tx *bolt.Tx) error { return tx.Bucket(sessionsBucket).Put(key, value) })
		}
	})
}

// merge adds the runs of one measurement taken in slices.
func merge(runs ...loadResult) loadResult {
	var out loadResult
	for _, r := range runs {
		out.requests += r.requests
		out.failures += r.failures
		out.elapsed += r.elapsed
		out.serverCPU += r.serverCPU
		out.latencies = append(out.latencies, r.latencies...)
	}
	slices.Sort(out.latencies)
	return out
}

// commitLoop runs writes from writers goroutines for d and times each:
// next prepares one write (untimed: its key and value) and returns it.
func commitLoop(writers int, d time.Duration, next func() func() error) loadResult {
	var mu sync.Mutex
	res := loadResult{}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for time.Now().Before(deadline) {
				write := next()
				t0 := time.Now()
				if err := write(); err != nil {
					mu.Lock()
					res.failures++
					mu.Unlock()
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// storeFile is the emulator's store (pkg/store) on a file beside the bare
// bbolt one: a lone Store.Update is held beside one bare db.Update to show
// what group commit adds to a write that arrives alone (it should add
// nothing: no timer, no waiting), and what an AssumeRoot's session write
// costs without its HTTP, authentication and authorization.
type storeFile struct {
	st   *store.Store
	path string
	next int
}

func openStore(path string) (*storeFile, error) {
	st, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	return &storeFile{st: st, path: path}, nil
}

func (s *storeFile) close() {
	s.st.Close()
	os.Remove(s.path)
}

// run commits one write per Update, from one writer, for d: a session
// credential (its record and its indexes), or with oneKey the smallest
// write the store has (one key of its meta bucket), which holds the commit
// path alone beside the bare loop's one Put.
func (s *storeFile) run(d time.Duration, oneKey bool) loadResult {
	return commitLoop(1, d, func() func() error {
		s.next++
		n := s.next
		return func() error {
			return s.st.Update(context.Background(), func(tx *store.Tx) error {
				if oneKey {
					return tx.MarkInitialized()
				}
				now := tx.Now()
				return tx.PutCredential(store.Credential{AccessKeyID: fmt.Sprintf("ASIA%016d", n), SecretAccessKey: "secret",
					Kind: store.KindRootSession, AccountID: "123456789012", PrincipalARN: store.RootUserARN("123456789012"),
					SessionToken: fmt.Sprintf("IQoJb3JpZ2luX2VjE%0200d", n), CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
			})
		}
	})
}
