package store

// IAMServicePrincipal is IAM's service principal in Organizations: trusted
// access and delegated administration for root access management name it.
const IAMServicePrincipal = "iam.amazonaws.com"

// OrganizationAccessRoleName is the role AWS creates in every account that
// CreateAccount makes, for the management account to administer it.
const OrganizationAccessRoleName = "OrganizationAccountAccessRole"

// OrganizationAccessRoleTrust is the trust policy AWS gives the role it
// creates in a new member account: the management account may assume it.
func OrganizationAccessRoleTrust(managementAccountID string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		managementAccountID + `:root"},"Action":"sts:AssumeRole"}]}`
}
