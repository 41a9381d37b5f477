package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Limits IAM applies to one user's (or the root user's) credentials.
const (
	// MaxAccessKeys is AccessKeysPerUserQuota: two long-term keys per user or root.
	MaxAccessKeys = 2
	// MaxSigningCertificates is SigningCertificatesPerUserQuota.
	MaxSigningCertificates = 2
	// MaxMFADevices is how many MFA devices a root user (or user) may have enabled.
	MaxMFADevices = 8
)

// RootMFADeviceName is the name AWS gives the root user's virtual MFA device;
// its serial number is arn:aws:iam::<account>:mfa/root-account-mfa-device.
const RootMFADeviceName = "root-account-mfa-device"

// RootUser is an account root user's own credentials other than its access
// keys, which are ordinary Credentials of kind KindRoot (principal
// arn:aws:iam::<account>:root) in the credentials bucket.
//
// The record is optional: an account without one has a root user with no
// credentials at all, which is how accounts created by Organizations
// CreateAccount (and every account created while RootCredentialsManagement
// is enabled) start. Tx.RootUser fills in such a state.
type RootUser struct {
	AccountID string    `json:"account_id"`
	CreatedAt time.Time `json:"created_at"` // the root user exists since the account does
	// LoginProfile is the root password; nil when the root user has none.
	LoginProfile *LoginProfile `json:"login_profile,omitempty"`
	// PasswordLastUsed is when the root password last signed in; zero when never.
	PasswordLastUsed    time.Time            `json:"password_last_used,omitempty"`
	SigningCertificates []SigningCertificate `json:"signing_certificates,omitempty"`
	// MFADevices holds enabled devices and virtual devices that exist but
	// are not enabled (a deactivated virtual device stays until deleted).
	MFADevices []MFADevice `json:"mfa_devices,omitempty"`
}

// LoginProfile is a console password: only its existence and metadata are
// kept, never the password itself (the emulator has no console to sign in to).
type LoginProfile struct {
	CreatedAt             time.Time `json:"created_at"`
	PasswordResetRequired bool      `json:"password_reset_required,omitempty"`
	// RecoveryAllowed marks the profile CreateLoginProfile makes in an
	// AssumeRoot session: no password is set, but whoever reads the root
	// email may now reset it ("allow password recovery").
	RecoveryAllowed bool `json:"recovery_allowed,omitempty"`
}

// SigningCertificate is an X.509 signing certificate of the root user.
type SigningCertificate struct {
	ID         string    `json:"id"` // 24+ characters of [A-Z0-9]
	Body       string    `json:"body"`
	Status     string    `json:"status"` // Active or Inactive
	UploadedAt time.Time `json:"uploaded_at"`
}

// MFADevice is an MFA device of the root user: a virtual device (serial
// number is its ARN) or a hardware device (vendor serial number).
type MFADevice struct {
	SerialNumber string    `json:"serial_number"`
	Virtual      bool      `json:"virtual"`
	CreatedAt    time.Time `json:"created_at"`
	Enabled      bool      `json:"enabled"`
	EnabledAt    time.Time `json:"enabled_at,omitempty"`
}

// RootCredentialsPresent says which kinds of credentials a root user has,
// as GetAccountSummary's Account*Present flags report them.
type RootCredentialsPresent struct {
	Password            bool
	AccessKeys          bool
	SigningCertificates bool
	MFA                 bool // an enabled MFA device
}

// EnabledMFADevices returns the devices that are enabled, in order of enabling.
func (u RootUser) EnabledMFADevices() []MFADevice {
	var out []MFADevice
	for _, d := range u.MFADevices {
		if d.Enabled {
			out = append(out, d)
		}
	}
	sortByTime(out, func(d MFADevice) time.Time { return d.EnabledAt })
	return out
}

// RootUserARN is the ARN of an account's root user.
func RootUserARN(accountID string) string { return "arn:aws:iam::" + accountID + ":root" }

// VirtualMFASerial is the serial number (ARN) of a virtual MFA device named name.
func VirtualMFASerial(accountID, name string) string {
	return "arn:aws:iam::" + accountID + ":mfa/" + name
}

// RootUser returns the root user of an existing account; an account without
// a record has a root user with no credentials, created with the account.
// ErrNotFound when the account does not exist.
func (tx *Tx) RootUser(accountID string) (RootUser, error) {
	acct, err := tx.Account(accountID)
	if err != nil {
		return RootUser{}, err
	}
	var u RootUser
	err = tx.get(rootUsersBucket, accountID, &u)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, ErrNotFound):
		return RootUser{AccountID: accountID, CreatedAt: acct.CreatedAt}, nil
	default:
		return RootUser{}, err
	}
}

// PutRootUser creates or replaces a root user's record.
func (tx *Tx) PutRootUser(u RootUser) error { return tx.put(rootUsersBucket, u.AccountID, u) }

// RootAccessKeys lists the root user's long-term access keys (active or
// not), oldest first.
func (tx *Tx) RootAccessKeys(accountID string) ([]Credential, error) {
	return tx.CredentialsOf(RootUserARN(accountID))
}

// RootCredentialsPresent reports which kinds of credentials the root user has.
func (tx *Tx) RootCredentialsPresent(accountID string) (RootCredentialsPresent, error) {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return RootCredentialsPresent{}, err
	}
	keys, err := tx.RootAccessKeys(accountID)
	if err != nil {
		return RootCredentialsPresent{}, err
	}
	return RootCredentialsPresent{Password: u.LoginProfile != nil, AccessKeys: len(keys) > 0,
		SigningCertificates: len(u.SigningCertificates) > 0, MFA: len(u.EnabledMFADevices()) > 0}, nil
}

// CreateRootAccessKey creates an active access key for an account's root
// user (at most MaxAccessKeys: ErrLimitExceeded). Empty id and secret are
// generated.
func (tx *Tx) CreateRootAccessKey(accountID, id, secret string) (Credential, error) {
	if _, err := tx.Account(accountID); err != nil {
		return Credential{}, err
	}
	return tx.CreateAccessKey(KindRoot, accountID, RootUserARN(accountID), "", id, secret)
}

// DeleteAccessKeyOf deletes the long-term access key id of principalARN (a
// user or RootUserARN). ErrNotFound when the key does not exist or belongs
// to another principal: a caller cannot learn that someone else's key exists.
// The key is refused from the next request on, since authentication reads
// the credentials bucket.
func (tx *Tx) DeleteAccessKeyOf(principalARN, id string) error {
	c, err := tx.ownKey(principalARN, id)
	if err != nil {
		return err
	}
	return tx.DeleteCredential(c.AccessKeyID)
}

// SetAccessKeyStatus sets a long-term key of principalARN Active or
// Inactive; ErrNotFound as DeleteAccessKeyOf. Authentication refuses
// Inactive keys.
func (tx *Tx) SetAccessKeyStatus(principalARN, id, status string) error {
	c, err := tx.ownKey(principalARN, id)
	if err != nil {
		return err
	}
	c.Status = status
	return tx.PutCredential(c)
}

func (tx *Tx) ownKey(principalARN, id string) (Credential, error) {
	c, err := tx.Credential(id)
	if err != nil {
		return Credential{}, err
	}
	if c.PrincipalARN != principalARN || c.Temporary() {
		return Credential{}, fmt.Errorf("access key %s of %s: %w", id, principalARN, ErrNotFound)
	}
	return c, nil
}

// CreateRootLoginProfile gives the root user a login profile; ErrConflict
// when it has one. recoveryAllowed is the AssumeRoot form (no password, the
// root email may reset it).
func (tx *Tx) CreateRootLoginProfile(accountID string, resetRequired, recoveryAllowed bool) (LoginProfile, error) {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return LoginProfile{}, err
	}
	if u.LoginProfile != nil {
		return LoginProfile{}, fmt.Errorf("login profile of root user of %s: %w", accountID, ErrConflict)
	}
	p := LoginProfile{CreatedAt: tx.now, PasswordResetRequired: resetRequired, RecoveryAllowed: recoveryAllowed}
	u.LoginProfile = &p
	return p, tx.PutRootUser(u)
}

// DeleteRootLoginProfile removes the root password; ErrNotFound when there is none.
func (tx *Tx) DeleteRootLoginProfile(accountID string) error {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return err
	}
	if u.LoginProfile == nil {
		return fmt.Errorf("login profile of root user of %s: %w", accountID, ErrNotFound)
	}
	u.LoginProfile = nil
	return tx.PutRootUser(u)
}

// SigningCertificateSpec describes a signing certificate to add. Empty ID
// and Body are generated (Body: a self-signed PEM certificate); Inactive
// adds it with Status Inactive.
type SigningCertificateSpec struct {
	ID       string
	Body     string
	Inactive bool
}

// AddRootSigningCertificate adds a signing certificate to the root user:
// ErrLimitExceeded past MaxSigningCertificates, ErrConflict for an id in use.
func (tx *Tx) AddRootSigningCertificate(accountID string, spec SigningCertificateSpec) (SigningCertificate, error) {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return SigningCertificate{}, err
	}
	if len(u.SigningCertificates) >= MaxSigningCertificates {
		return SigningCertificate{}, fmt.Errorf("signing certificates of root user of %s: %w", accountID, ErrLimitExceeded)
	}
	cert := SigningCertificate{ID: spec.ID, Body: spec.Body, Status: "Active", UploadedAt: tx.now}
	if cert.ID == "" {
		cert.ID = randomString(upperAlnum, 32)
	}
	if len(cert.ID) < 24 {
		return SigningCertificate{}, fmt.Errorf("signing certificate id %q is shorter than 24 characters", cert.ID)
	}
	if slices.ContainsFunc(u.SigningCertificates, func(c SigningCertificate) bool { return c.ID == cert.ID }) {
		return SigningCertificate{}, fmt.Errorf("signing certificate %s: %w", cert.ID, ErrConflict)
	}
	if cert.Body == "" {
		if cert.Body, err = selfSignedPEM("root-"+accountID, tx.now); err != nil {
			return SigningCertificate{}, err
		}
	}
	if spec.Inactive {
		cert.Status = "Inactive"
	}
	u.SigningCertificates = append(u.SigningCertificates, cert)
	return cert, tx.PutRootUser(u)
}

// DeleteRootSigningCertificate removes a root signing certificate; ErrNotFound when absent.
func (tx *Tx) DeleteRootSigningCertificate(accountID, id string) error {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(u.SigningCertificates, func(c SigningCertificate) bool { return c.ID == id })
	if i < 0 {
		return fmt.Errorf("signing certificate %s of root user of %s: %w", id, accountID, ErrNotFound)
	}
	u.SigningCertificates = slices.Delete(u.SigningCertificates, i, i+1)
	return tx.PutRootUser(u)
}

// MFADeviceSpec describes an MFA device to add. An empty SerialNumber is the
// root's virtual device arn:aws:iam::<account>:mfa/root-account-mfa-device;
// a serial number that is an ARN is a virtual device, anything else a
// hardware device. Unassigned adds a virtual device that exists but is not
// enabled.
type MFADeviceSpec struct {
	SerialNumber string
	Unassigned   bool
}

// AddRootMFADevice adds (and unless spec.Unassigned enables) an MFA device
// of the root user: ErrConflict for a serial number in use, ErrLimitExceeded
// past MaxMFADevices enabled devices.
func (tx *Tx) AddRootMFADevice(accountID string, spec MFADeviceSpec) (MFADevice, error) {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return MFADevice{}, err
	}
	d := MFADevice{SerialNumber: spec.SerialNumber, CreatedAt: tx.now}
	if d.SerialNumber == "" {
		d.SerialNumber = VirtualMFASerial(accountID, RootMFADeviceName)
	}
	d.Virtual = strings.HasPrefix(d.SerialNumber, "arn:")
	if spec.Unassigned && !d.Virtual {
		return MFADevice{}, fmt.Errorf("hardware MFA device %s cannot exist unassigned", d.SerialNumber)
	}
	if slices.ContainsFunc(u.MFADevices, func(m MFADevice) bool { return m.SerialNumber == d.SerialNumber }) {
		return MFADevice{}, fmt.Errorf("MFA device %s: %w", d.SerialNumber, ErrConflict)
	}
	if !spec.Unassigned {
		if len(u.EnabledMFADevices()) >= MaxMFADevices {
			return MFADevice{}, fmt.Errorf("MFA devices of root user of %s: %w", accountID, ErrLimitExceeded)
		}
		d.Enabled, d.EnabledAt = true, tx.now
	}
	u.MFADevices = append(u.MFADevices, d)
	return d, tx.PutRootUser(u)
}

// DeactivateRootMFADevice disables an enabled MFA device of the root user;
// ErrNotFound unless serial is one. A virtual device stays as an unassigned
// device (only DeleteVirtualMFADevice removes it); a hardware device is gone.
func (tx *Tx) DeactivateRootMFADevice(accountID, serial string) error {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(u.MFADevices, func(m MFADevice) bool { return m.SerialNumber == serial && m.Enabled })
	if i < 0 {
		return fmt.Errorf("enabled MFA device %s of root user of %s: %w", serial, accountID, ErrNotFound)
	}
	if u.MFADevices[i].Virtual {
		u.MFADevices[i].Enabled, u.MFADevices[i].EnabledAt = false, time.Time{}
	} else {
		u.MFADevices = slices.Delete(u.MFADevices, i, i+1)
	}
	return tx.PutRootUser(u)
}

// DeleteRootVirtualMFADevice deletes a virtual MFA device of the root user:
// ErrNotFound when there is no such virtual device, ErrConflict while it is
// still enabled (it must be deactivated first).
func (tx *Tx) DeleteRootVirtualMFADevice(accountID, serial string) error {
	u, err := tx.RootUser(accountID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(u.MFADevices, func(m MFADevice) bool { return m.SerialNumber == serial && m.Virtual })
	if i < 0 {
		return fmt.Errorf("virtual MFA device %s of root user of %s: %w", serial, accountID, ErrNotFound)
	}
	if u.MFADevices[i].Enabled {
		return fmt.Errorf("virtual MFA device %s is enabled: %w", serial, ErrConflict)
	}
	u.MFADevices = slices.Delete(u.MFADevices, i, i+1)
	return tx.PutRootUser(u)
}

// AccessKeySpec describes a root access key to add. Empty ID and Secret are
// generated (AKIA…); Inactive adds it with Status Inactive.
type AccessKeySpec struct {
	ID       string
	Secret   string
	Inactive bool
}

// RootCredentialsSpec describes the legacy credentials a scenario gives an
// account's root user, as if they had been created before centralized root
// access: see Tx.AddRootCredentials.
type RootCredentialsSpec struct {
	// Password gives the root user a console password (a login profile).
	Password              bool
	PasswordResetRequired bool
	// PasswordLastUsed, when set, is reported by GetUser as PasswordLastUsed.
	PasswordLastUsed    time.Time
	AccessKeys          []AccessKeySpec          // at most MaxAccessKeys in all
	SigningCertificates []SigningCertificateSpec // at most MaxSigningCertificates in all
	MFADevices          []MFADeviceSpec
}

// RootCredentials is what Tx.AddRootCredentials created; AccessKeys carry
// their secrets, so that a scenario can sign requests with them.
type RootCredentials struct {
	LoginProfile        *LoginProfile
	AccessKeys          []Credential
	SigningCertificates []SigningCertificate
	MFADevices          []MFADevice
}

// AddRootCredentials gives an existing account's root user the credentials
// of spec, in addition to any it has, all stamped with the transaction's
// time. It is how a scenario loader sets up a "legacy" member account whose
// root user still has a password, access keys, certificates or MFA:
//
//	err := st.Update(ctx, func(tx *store.Tx) error {
//		_, err := tx.AddRootCredentials(acct, store.RootCredentialsSpec{
//			Password:   true,
//			AccessKeys: []store.AccessKeySpec{{ID: "AKIAEXAMPLEROOTKEY01", Secret: "…"}, {}},
//			SigningCertificates: []store.SigningCertificateSpec{{}},
//			MFADevices: []store.MFADeviceSpec{{}}, // arn:aws:iam::<acct>:mfa/root-account-mfa-device
//		})
//		return err
//	})
//
// Errors: ErrNotFound (no such account), ErrConflict (a password that is
// already there, an access key id, certificate id or MFA serial in use),
// ErrLimitExceeded (more than two access keys or certificates in all). The
// caller should return the error from its Update so that nothing is kept.
func (tx *Tx) AddRootCredentials(accountID string, spec RootCredentialsSpec) (RootCredentials, error) {
	var out RootCredentials
	if _, err := tx.RootUser(accountID); err != nil {
		return out, err
	}
	if spec.Password {
		p, err := tx.CreateRootLoginProfile(accountID, spec.PasswordResetRequired, false)
		if err != nil {
			return out, err
		}
		out.LoginProfile = &p
	}
	if !spec.PasswordLastUsed.IsZero() {
		u, err := tx.RootUser(accountID)
		if err != nil {
			return out, err
		}
		u.PasswordLastUsed = spec.PasswordLastUsed.UTC()
		if err := tx.PutRootUser(u); err != nil {
			return out, err
		}
	}
	for _, k := range spec.AccessKeys {
		c, err := tx.CreateRootAccessKey(accountID, k.ID, k.Secret)
		if err != nil {
			return out, err
		}
		if k.Inactive {
			c.Status = "Inactive"
			if err := tx.PutCredential(c); err != nil {
				return out, err
			}
		}
		out.AccessKeys = append(out.AccessKeys, c)
	}
	for _, s := range spec.SigningCertificates {
		c, err := tx.AddRootSigningCertificate(accountID, s)
		if err != nil {
			return out, err
		}
		out.SigningCertificates = append(out.SigningCertificates, c)
	}
	for _, s := range spec.MFADevices {
		d, err := tx.AddRootMFADevice(accountID, s)
		if err != nil {
			return out, err
		}
		out.MFADevices = append(out.MFADevices, d)
	}
	return out, nil
}

// IAMUsage counts an account's IAM users and roles (GetAccountSummary's
// Users and Roles).
func (tx *Tx) IAMUsage(accountID string) (users, roles int, err error) {
	return tx.principalCount(accountID, PrincipalUser), tx.principalCount(accountID, PrincipalRole), nil
}

// selfSignedPEM makes a throwaway self-signed certificate, so that a
// generated signing certificate's body is a real PEM X.509 certificate.
func selfSignedPEM(commonName string, now time.Time) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("signing certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return "", fmt.Errorf("signing certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: commonName},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", fmt.Errorf("signing certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
