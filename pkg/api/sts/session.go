package sts

// GetSessionToken and GetAccessKeyInfo.

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/store"
)

// --- GetSessionToken ---

// GetSessionToken's durations: 15 minutes to 36 hours for IAM users
// (12 hours by default), at most one hour for an account's root user.
const (
	sessionTokenMinSeconds     = 900
	sessionTokenMaxSeconds     = 129600
	sessionTokenDefaultSeconds = 43200
	rootSessionTokenMaxSeconds = 3600
)

type getSessionTokenInput struct {
	DurationSeconds *int32 `query:"DurationSeconds"`
	SerialNumber    string `query:"SerialNumber"`
	TokenCode       string `query:"TokenCode"`
}

var (
	serialNumberPattern = pipeline.NewPattern(`^[\w+=/:,.@-]*$`)
	tokenCodePattern    = pipeline.NewPattern(`^[\d]*$`)
)

func (in *getSessionTokenInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if in.DurationSeconds != nil {
		v.Between("DurationSeconds", int64(*in.DurationSeconds), sessionTokenMinSeconds, sessionTokenMaxSeconds)
	}
	if in.SerialNumber != "" {
		v.Length("SerialNumber", in.SerialNumber, 9, 256)
		v.Pattern("SerialNumber", in.SerialNumber, serialNumberPattern)
	}
	if in.TokenCode != "" {
		v.Length("TokenCode", in.TokenCode, 6, 6)
		v.Pattern("TokenCode", in.TokenCode, tokenCodePattern)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if (in.SerialNumber == "") != (in.TokenCode == "") {
		return pipeline.NewError(http.StatusBadRequest, "ValidationError",
			"SerialNumber and TokenCode must be given together (the MFA device and its current code).")
	}
	return nil
}

type getSessionTokenResult struct {
	Credentials credentials
}

// errMFAFailed is what STS answers for an MFA device or code it cannot accept.
func errMFAFailed(c *pipeline.Call) *pipeline.Error {
	return pipeline.AccessDenied(c.Proto, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
}

// getSessionToken mints a temporary credential of the caller's own
// long-term identity: an IAM user, or an account's root user (for at most
// an hour, longer requests are cut to one as AWS does). Session
// credentials (role sessions, root sessions, earlier session tokens) are
// refused, as AWS refuses them. With SerialNumber and TokenCode the device
// must be an enabled MFA device of the caller; the emulator does not hold
// the devices' secrets, so any six-digit code of such a device is accepted.
func (s *Service) getSessionToken(ctx context.Context, c *pipeline.Call, in *getSessionTokenInput) (*getSessionTokenResult, error) {
	if !c.ID.ExpiresAt.IsZero() || (c.ID.Kind != store.KindUser && c.ID.Kind != store.KindRoot) {
		return nil, pipeline.AccessDenied(c.Proto, "Cannot call GetSessionToken with session credentials")
	}
	seconds := int32(sessionTokenDefaultSeconds)
	if in.DurationSeconds != nil {
		seconds = *in.DurationSeconds
	}
	if c.ID.Kind == store.KindRoot {
		seconds = min(seconds, rootSessionTokenMaxSeconds)
	}
	var cred store.Credential
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		if in.SerialNumber != "" && !hasEnabledMFADevice(tx, c.ID, in.SerialNumber) {
			return errMFAFailed(c)
		}
		signer, err := tx.Credential(c.ID.AccessKeyID)
		if err != nil {
			return err
		}
		cred, err = mintSession(tx, c, store.Credential{Kind: signer.Kind, AccountID: signer.AccountID,
			PrincipalARN: signer.PrincipalARN, PrincipalID: signer.PrincipalID}, time.Duration(seconds)*time.Second)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &getSessionTokenResult{Credentials: credentialsOf(cred)}, nil
}

// hasEnabledMFADevice reports whether serial is an enabled MFA device of
// the caller. Only root users have MFA devices in the emulator, so an IAM
// user's device is never found.
func hasEnabledMFADevice(tx *store.Tx, id pipeline.Identity, serial string) bool {
	if id.Kind != store.KindRoot {
		return false
	}
	u, err := tx.RootUser(id.AccountID)
	if err != nil {
		return false
	}
	for _, d := range u.EnabledMFADevices() {
		if d.SerialNumber == serial {
			return true
		}
	}
	return false
}

// --- GetAccessKeyInfo ---

type getAccessKeyInfoInput struct {
	AccessKeyID string `query:"AccessKeyId"`
}

var accessKeyIDPattern = pipeline.NewPattern(`^[\w]*$`)

func (in *getAccessKeyInfoInput) Validate() error {
	v := pipeline.NewValidator("ValidationError")
	if v.Required("AccessKeyId", in.AccessKeyID != "") {
		v.Length("AccessKeyId", in.AccessKeyID, 16, 128)
		v.Pattern("AccessKeyId", in.AccessKeyID, accessKeyIDPattern)
	}
	return v.Err()
}

type getAccessKeyInfoResult struct {
	Account string
}

// getAccessKeyInfo names the account of an access key id: the account the
// emulator issued it in when it knows the key, and otherwise the account
// AWS encodes in the ids it issues (decoded as AWS decodes it), so that a
// real AWS key id gets its real account.
func (s *Service) getAccessKeyInfo(ctx context.Context, c *pipeline.Call, in *getAccessKeyInfoInput) (*getAccessKeyInfoResult, error) {
	var account string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		cred, err := tx.Credential(in.AccessKeyID)
		if err == nil {
			account = cred.AccountID
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var ok bool
		if account, ok = accountInAccessKeyID(in.AccessKeyID); !ok {
			return pipeline.NewError(http.StatusBadRequest, "InvalidParameterValue",
				"The access key ID %s is not valid: it is not one this emulator issued, and it does not encode an account as AWS's key ids do.", in.AccessKeyID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &getAccessKeyInfoResult{Account: account}, nil
}

// accountInAccessKeyID decodes the account AWS encodes in its key ids:
// the 16 characters after the four-letter prefix, base32; bits 1 to 40 of the first six bytes
// (masked by 0x7fffffffff80, shifted right by 7).
func accountInAccessKeyID(id string) (string, bool) {
	if len(id) < 20 {
		return "", false
	}
	raw, err := base32.StdEncoding.DecodeString(id[4:20])
	if err != nil || len(raw) < 6 {
		return "", false
	}
	var b [8]byte
	copy(b[2:], raw[:6])
	n := (binary.BigEndian.Uint64(b[:]) & 0x7fffffffff80) >> 7
	return fmt.Sprintf("%012d", n), true
}
