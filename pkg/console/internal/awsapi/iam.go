package awsapi

import (
	"context"
	"net/url"
)

// iamVersion is IAM's query API version.
const iamVersion = "2010-05-08"

func (c *Client) iam(ctx context.Context, action string, params url.Values, out any) error {
	return c.query(ctx, "iam", iamVersion, action, params, out)
}

// GetAccountSummary is the caller's account's IAM summary: usage counts,
// quotas, and whether the root user has each kind of credential
// (AccountPasswordPresent, AccountAccessKeysPresent, …).
func (c *Client) GetAccountSummary(ctx context.Context) (map[string]int, error) {
	var out struct {
		Entries []struct {
			Key   string `xml:"key"`
			Value int    `xml:"value"`
		} `xml:"SummaryMap>entry"`
	}
	if err := c.iam(ctx, "GetAccountSummary", nil, &out); err != nil {
		return nil, err
	}
	summary := make(map[string]int, len(out.Entries))
	for _, e := range out.Entries {
		summary[e.Key] = e.Value
	}
	return summary, nil
}

// The organization features of ListOrganizationsFeatures.
const (
	FeatureRootCredentialsManagement = "RootCredentialsManagement"
	FeatureRootSessions              = "RootSessions"
)

// ListOrganizationsFeatures lists the centralized root access features
// enabled in the caller's organization.
func (c *Client) ListOrganizationsFeatures(ctx context.Context) ([]string, error) {
	var out struct {
		EnabledFeatures []string `xml:"EnabledFeatures>member"`
	}
	err := c.iam(ctx, "ListOrganizationsFeatures", nil, &out)
	return out.EnabledFeatures, err
}

func (c *Client) EnableOrganizationsRootCredentialsManagement(ctx context.Context) error {
	return c.iam(ctx, "EnableOrganizationsRootCredentialsManagement", nil, nil)
}

func (c *Client) DisableOrganizationsRootCredentialsManagement(ctx context.Context) error {
	return c.iam(ctx, "DisableOrganizationsRootCredentialsManagement", nil, nil)
}

func (c *Client) EnableOrganizationsRootSessions(ctx context.Context) error {
	return c.iam(ctx, "EnableOrganizationsRootSessions", nil, nil)
}

func (c *Client) DisableOrganizationsRootSessions(ctx context.Context) error {
	return c.iam(ctx, "DisableOrganizationsRootSessions", nil, nil)
}

// The operations below name no user: they are the caller's own, which for
// a root session is the root user's.

// GetLoginProfile succeeds when the caller has a login profile (a
// password, or the right to recover one) and fails with NoSuchEntity when
// it has none.
func (c *Client) GetLoginProfile(ctx context.Context) error {
	return c.iam(ctx, "GetLoginProfile", nil, nil)
}

// AccessKey is one entry of ListAccessKeys.
type AccessKey struct {
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string
}

// ListAccessKeys lists the caller's access keys (the first page, up to
// IAM's default of 100: a user has at most two).
func (c *Client) ListAccessKeys(ctx context.Context) ([]AccessKey, error) {
	var out struct {
		Keys []AccessKey `xml:"AccessKeyMetadata>member"`
	}
	err := c.iam(ctx, "ListAccessKeys", nil, &out)
	return out.Keys, err
}

// SigningCertificate is one entry of ListSigningCertificates.
type SigningCertificate struct {
	CertificateID string `xml:"CertificateId"`
	Status        string
}

// ListSigningCertificates lists the caller's signing certificates (the
// first page; a user has at most two).
func (c *Client) ListSigningCertificates(ctx context.Context) ([]SigningCertificate, error) {
	var out struct {
		Certificates []SigningCertificate `xml:"Certificates>member"`
	}
	err := c.iam(ctx, "ListSigningCertificates", nil, &out)
	return out.Certificates, err
}

// MFADevice is one entry of ListMFADevices.
type MFADevice struct {
	SerialNumber string
}

// ListMFADevices lists the caller's enabled MFA devices (the first page).
func (c *Client) ListMFADevices(ctx context.Context) ([]MFADevice, error) {
	var out struct {
		Devices []MFADevice `xml:"MFADevices>member"`
	}
	err := c.iam(ctx, "ListMFADevices", nil, &out)
	return out.Devices, err
}

func (c *Client) DeleteLoginProfile(ctx context.Context) error {
	return c.iam(ctx, "DeleteLoginProfile", nil, nil)
}

func (c *Client) DeleteAccessKey(ctx context.Context, accessKeyID string) error {
	return c.iam(ctx, "DeleteAccessKey", url.Values{"AccessKeyId": {accessKeyID}}, nil)
}

func (c *Client) DeleteSigningCertificate(ctx context.Context, certificateID string) error {
	return c.iam(ctx, "DeleteSigningCertificate", url.Values{"CertificateId": {certificateID}}, nil)
}

func (c *Client) DeactivateMFADevice(ctx context.Context, serialNumber string) error {
	return c.iam(ctx, "DeactivateMFADevice", url.Values{"SerialNumber": {serialNumber}}, nil)
}

// CreateLoginProfile creates the caller's login profile without a password
// (what IAMCreateRootUserPassword allows: the root user then recovers one).
func (c *Client) CreateLoginProfile(ctx context.Context) error {
	return c.iam(ctx, "CreateLoginProfile", nil, nil)
}
