package awsapi

import "context"

func (c *Client) organizations(ctx context.Context, op string, in, out any) error {
	return c.call(ctx, organizationsService, op, in, out)
}

// pageToken is the NextToken member of the Organizations listings.
type pageToken struct {
	NextToken string `json:",omitempty"`
}

// allPages calls a listing until its NextToken runs out: page gets the
// token to send and returns the next one. A token that comes back
// unchanged ends the walk, so that a server that repeats one cannot hold
// the page for ever.
func allPages(page func(token string) (string, error)) error {
	token := ""
	for {
		next, err := page(token)
		if err != nil || next == "" || next == token {
			return err
		}
		token = next
	}
}

// ListAWSServiceAccessForOrganization lists the service principals with
// trusted access to the organization (the first page, which holds the
// default 20).
func (c *Client) ListAWSServiceAccessForOrganization(ctx context.Context) ([]string, error) {
	var out struct {
		EnabledServicePrincipals []struct{ ServicePrincipal string }
	}
	if err := c.organizations(ctx, "ListAWSServiceAccessForOrganization", nil, &out); err != nil {
		return nil, err
	}
	principals := make([]string, 0, len(out.EnabledServicePrincipals))
	for _, p := range out.EnabledServicePrincipals {
		principals = append(principals, p.ServicePrincipal)
	}
	return principals, nil
}

type servicePrincipalInput struct{ ServicePrincipal string }

func (c *Client) EnableAWSServiceAccess(ctx context.Context, servicePrincipal string) error {
	return c.organizations(ctx, "EnableAWSServiceAccess", servicePrincipalInput{servicePrincipal}, nil)
}

func (c *Client) DisableAWSServiceAccess(ctx context.Context, servicePrincipal string) error {
	return c.organizations(ctx, "DisableAWSServiceAccess", servicePrincipalInput{servicePrincipal}, nil)
}

// Organization is what DescribeOrganization tells the console.
type Organization struct {
	ID              string `json:"Id"`
	MasterAccountID string `json:"MasterAccountId"`
}

func (c *Client) DescribeOrganization(ctx context.Context) (Organization, error) {
	var out struct{ Organization Organization }
	err := c.organizations(ctx, "DescribeOrganization", nil, &out)
	return out.Organization, err
}

// Account is one account of the organization.
type Account struct {
	ID    string `json:"Id"`
	Name  string
	Email string
	State string
}

// ListAccounts lists every account of the organization, page after page.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	var all []Account
	err := allPages(func(token string) (string, error) {
		accounts, next, err := c.ListAccountsPage(ctx, token)
		all = append(all, accounts...)
		return next, err
	})
	return all, err
}

// ListAccountsPage is one page of ListAccounts: token "" is the first, and
// the next token is "" after the last.
func (c *Client) ListAccountsPage(ctx context.Context, token string) ([]Account, string, error) {
	var out struct {
		Accounts  []Account
		NextToken string
	}
	err := c.organizations(ctx, "ListAccounts", pageToken{token}, &out)
	return out.Accounts, out.NextToken, err
}

// Root is a root of the organization.
type Root struct {
	ID   string `json:"Id"`
	Name string
}

// ListRoots lists the organization's roots (one, in AWS).
func (c *Client) ListRoots(ctx context.Context) ([]Root, error) {
	var out struct{ Roots []Root }
	err := c.organizations(ctx, "ListRoots", nil, &out)
	return out.Roots, err
}

// OrganizationalUnit is an OU of the organization.
type OrganizationalUnit struct {
	ID   string `json:"Id"`
	Name string
}

type parentPageInput struct {
	ParentID  string `json:"ParentId"`
	NextToken string `json:",omitempty"`
}

// ListOrganizationalUnitsForParent lists every OU directly under parent.
func (c *Client) ListOrganizationalUnitsForParent(ctx context.Context, parent string) ([]OrganizationalUnit, error) {
	var all []OrganizationalUnit
	err := allPages(func(token string) (string, error) {
		var out struct {
			OrganizationalUnits []OrganizationalUnit
			NextToken           string
		}
		err := c.organizations(ctx, "ListOrganizationalUnitsForParent", parentPageInput{parent, token}, &out)
		all = append(all, out.OrganizationalUnits...)
		return out.NextToken, err
	})
	return all, err
}

// ListAccountsForParent lists every account directly under parent.
func (c *Client) ListAccountsForParent(ctx context.Context, parent string) ([]Account, error) {
	var all []Account
	err := allPages(func(token string) (string, error) {
		var out struct {
			Accounts  []Account
			NextToken string
		}
		err := c.organizations(ctx, "ListAccountsForParent", parentPageInput{parent, token}, &out)
		all = append(all, out.Accounts...)
		return out.NextToken, err
	})
	return all, err
}
