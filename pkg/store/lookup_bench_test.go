package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// BenchmarkLookups measures the reads API calls make on every request, in
// worlds of 1,000 and 10,000 member accounts (each with a root access key
// and a root session): with the indexes their cost must not grow with the
// world.
func BenchmarkLookups(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		st, clock, _ := MustOpenStore(b)
		var org store.Organization
		var ids []string
		err := st.Update(ctx, func(tx *store.Tx) error {
			ids = nil
			if err := tx.PutAccount(store.Account{ID: "111111111111", Email: "mgmt@example.com"}); err != nil {
				return err
			}
			var err error
			if org, err = tx.CreateOrganization("111111111111", "ALL"); err != nil {
				return err
			}
			for i := range n {
				a, err := tx.CreateMemberAccount(org, "m", fmt.Sprintf("member%d@example.com", i), "OrganizationAccountAccessRole", `{}`, tx.Now())
				if err != nil {
					return err
				}
				if _, err := tx.CreateRootAccessKey(a.ID, "", ""); err != nil {
					return err
				}
				if err := tx.PutCredential(store.Credential{AccessKeyID: tx.NewAccessKeyID("ASIA"), Kind: store.KindRootSession,
					AccountID: a.ID, PrincipalARN: store.RootUserARN(a.ID), CreatedAt: tx.Now(), ExpiresAt: tx.Now().Add(15 * time.Minute)}); err != nil {
					return err
				}
				ids = append(ids, a.ID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		clock.t = clock.t.Add(time.Second)
		view := func(b *testing.B, read func(tx *store.Tx, i int) error) {
			for i := range b.N {
				if err := st.View(ctx, func(tx *store.Tx) error { return read(tx, i) }); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("CredentialsOf/accounts=%d", n), func(b *testing.B) {
			view(b, func(tx *store.Tx, i int) error {
				keys, err := tx.RootAccessKeys(ids[i%n])
				if err == nil && len(keys) != 1 {
					err = fmt.Errorf("%d keys", len(keys))
				}
				return err
			})
		})
		b.Run(fmt.Sprintf("AccountByEmail/accounts=%d", n), func(b *testing.B) {
			view(b, func(tx *store.Tx, i int) error {
				_, err := tx.AccountByEmail(fmt.Sprintf("MEMBER%d@example.com", i%n))
				return err
			})
		})
		b.Run(fmt.Sprintf("IAMUsage/accounts=%d", n), func(b *testing.B) {
			view(b, func(tx *store.Tx, i int) error {
				_, _, err := tx.IAMUsage(ids[i%n])
				return err
			})
		})
		b.Run(fmt.Sprintf("OrganizationAccountsPage/accounts=%d", n), func(b *testing.B) {
			cursor := ""
			view(b, func(tx *store.Tx, i int) error {
				page, next, err := tx.OrganizationAccountsPage(org.ID, cursor, 20)
				if err == nil && len(page) == 0 {
					err = fmt.Errorf("empty page")
				}
				cursor = next
				return err
			})
		})
	}
}
