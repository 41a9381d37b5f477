package store

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"strings"
)

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // AWS key ids use base32 characters
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits     = "0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // the OS has no entropy: nothing sensible to do
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String()
}

// NewAccountID returns a 12-digit account id no account has yet.
func (tx *Tx) NewAccountID() string {
	for {
		id := randomString("123456789", 1) + randomString(digits, 11)
		if !tx.AccountExists(id) {
			return id
		}
	}
}

// NewAccessKeyID returns an unused access key id with prefix (AKIA for
// long-term keys, ASIA for temporary ones): 20 characters like AWS's.
func (tx *Tx) NewAccessKeyID(prefix string) string {
	for {
		id := prefix + randomString(upperAlnum, 20-len(prefix))
		if !tx.exists(credentialsBucket, id) {
			return id
		}
	}
}

// NewSecretAccessKey returns a 40-character secret.
func NewSecretAccessKey() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// NewSessionToken returns an opaque session token.
func NewSessionToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(b)
}

// NewUniqueID returns an IAM unique id such as AIDA… (users) or AROA… (roles).
func NewUniqueID(prefix string) string { return prefix + randomString(upperAlnum, 21-len(prefix)) }

// NewOrganizationID returns an organization id (o- and 10 characters).
func NewOrganizationID() string { return "o-" + randomString(lowerAlnum, 10) }

// NewRootID returns an organization root id (r- and 4 characters).
func NewRootID() string { return "r-" + randomString(lowerAlnum, 4) }

// NewCreateAccountRequestID returns a create-account request id (car- and 32 characters).
func NewCreateAccountRequestID() string { return "car-" + randomString(lowerAlnum, 32) }
