package api_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api"
	"github.com/rootaccess/emulator/pkg/api/apitest"
	"github.com/rootaccess/emulator/pkg/api/internal/testkit"
)

// requireEachOnce checks that the pages together hold want, each item once.
func requireEachOnce(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for g, n := range seen {
		assert.Equal(t, 1, n, "%s listed %d times", g, n)
	}
	assert.ElementsMatch(t, want, got)
}

// Every paged listing that the store pages with a cursor, walked with the
// SDK's own paginators over more items than several pages hold.
func TestPaging_SDKPaginatorsSeeEveryItemOnce(t *testing.T) {
	srv := apitest.New(t)
	ctx := context.Background()
	const accounts, users, buckets, queues = 250, 130, 23, 17
	sc := api.Scenario{}
	mgmt := api.ScenarioAccount{Management: true}
	for i := range users {
		mgmt.Users = append(mgmt.Users, api.ScenarioUser{Name: fmt.Sprintf("user-%03d", i)})
	}
	for i := range buckets {
		mgmt.Buckets = append(mgmt.Buckets, api.ScenarioBucket{Name: fmt.Sprintf("paging-bucket-%02d", i)})
	}
	for i := range queues {
		mgmt.Queues = append(mgmt.Queues, api.ScenarioQueue{Name: fmt.Sprintf("paging-queue-%02d", i)})
	}
	sc.Accounts = append(sc.Accounts, mgmt)
	for i := range accounts {
		sc.Accounts = append(sc.Accounts, api.ScenarioAccount{Name: fmt.Sprintf("member-%03d", i)})
	}
	result, err := srv.API.ApplyScenario(ctx, sc)
	require.NoError(t, err)
	cfg := srv.Config(srv.AdminCredentials())

	t.Run("ListAccounts", func(t *testing.T) {
		org := organizations.NewFromConfig(cfg)
		var want []string
		want = append(want, srv.ManagementAccountID())
		for _, a := range result.Accounts {
			if a.ID != srv.ManagementAccountID() {
				want = append(want, a.ID)
			}
		}
		for _, size := range []int32{1, 7, 20} {
			var got []string
			pages := 0
			p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{MaxResults: aws.Int32(size)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page.Accounts), int(size))
				for _, a := range page.Accounts {
					got = append(got, aws.ToString(a.Id))
				}
				pages++
			}
			requireEachOnce(t, got, want)
			assert.GreaterOrEqual(t, pages, (len(want)+int(size)-1)/int(size), "page size %d", size)
		}
		roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
		require.NoError(t, err)
		var got []string
		p := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: roots.Roots[0].Id})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, a := range page.Accounts {
				got = append(got, aws.ToString(a.Id))
			}
		}
		requireEachOnce(t, got, want)

		// A token of one listing is refused by the other, and garbage by both.
		first, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(5)})
		require.NoError(t, err)
		_, err = org.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: roots.Roots[0].Id, NextToken: first.NextToken})
		testkit.RequireAWSError(t, err, "InvalidInputException", 400)
		_, err = org.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("bm90IGEgdG9rZW4")})
		testkit.RequireAWSError(t, err, "InvalidInputException", 400)
	})

	t.Run("ListCreateAccountStatus", func(t *testing.T) {
		org := organizations.NewFromConfig(cfg)
		var want []string
		for i := range 45 {
			out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(fmt.Sprintf("created-%02d", i)),
				Email: aws.String(fmt.Sprintf("created-%02d@example.com", i))})
			require.NoError(t, err)
			want = append(want, aws.ToString(out.CreateAccountStatus.Id))
		}
		var got []string
		p := organizations.NewListCreateAccountStatusPaginator(org, &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(6)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, s := range page.CreateAccountStatuses {
				got = append(got, aws.ToString(s.Id))
			}
		}
		requireEachOnce(t, got, want)
	})

	t.Run("ListUsers", func(t *testing.T) {
		c := iam.NewFromConfig(cfg)
		var want []string
		for i := range users {
			want = append(want, fmt.Sprintf("user-%03d", i))
		}
		before, err := c.ListUsers(ctx, &iam.ListUsersInput{})
		require.NoError(t, err)
		for _, u := range before.Users {
			if !slices.Contains(want, aws.ToString(u.UserName)) {
				want = append(want, aws.ToString(u.UserName)) // the seeded administrator
			}
		}
		var got []string
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(9)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, u := range page.Users {
				got = append(got, aws.ToString(u.UserName))
			}
		}
		requireEachOnce(t, got, want)
		_, err = c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("garbage")})
		testkit.RequireAWSError(t, err, "ValidationError", 400)
	})

	t.Run("ListRoles", func(t *testing.T) {
		c := iam.NewFromConfig(srv.Config(srv.AssumeAccessRole(t, result.Accounts[1].ID)))
		var want []string
		for i := range 12 {
			name := fmt.Sprintf("role-%02d", i)
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
			require.NoError(t, err)
			want = append(want, name)
		}
		want = append(want, "OrganizationAccountAccessRole")
		var got []string
		p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(5)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, r := range page.Roles {
				got = append(got, aws.ToString(r.RoleName))
			}
		}
		requireEachOnce(t, got, want)
	})

	t.Run("ListBuckets", func(t *testing.T) {
		c := testkit.S3Client(srv, srv.AdminCredentials())
		var want []string
		for i := range buckets {
			want = append(want, fmt.Sprintf("paging-bucket-%02d", i))
		}
		var got []string
		p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(4), Prefix: aws.String("paging-")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, b := range page.Buckets {
				got = append(got, aws.ToString(b.Name))
			}
		}
		requireEachOnce(t, got, want)
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: aws.String("not a token")})
		testkit.RequireAWSError(t, err, "InvalidArgument", 400)
	})

	t.Run("ListQueues", func(t *testing.T) {
		c := sqs.NewFromConfig(cfg)
		var want []string
		for i := range queues {
			want = append(want, fmt.Sprintf("paging-queue-%02d", i))
		}
		var got []string
		p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(3), QueueNamePrefix: aws.String("paging-")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, u := range page.QueueUrls {
				got = append(got, u[len(u)-len("paging-queue-00"):])
			}
		}
		requireEachOnce(t, got, want)
	})
}
