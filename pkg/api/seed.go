package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rootaccess/emulator/pkg/store"
)

// Seed describes the world a fresh data file starts with.
type Seed struct {
	// ManagementAccountID is the account the emulator's credentials belong to.
	ManagementAccountID string
	// Organization creates an ALL-features organization managed by that account.
	Organization bool
	// UserName, AccessKeyID and SecretAccessKey are the administrator IAM
	// user whose key signs the user's requests. It is deliberately not the
	// root user: AWS refuses AssumeRoot to root credentials.
	UserName        string
	AccessKeyID     string
	SecretAccessKey string
}

// DefaultSeed is the world of a fresh data file.
func DefaultSeed() Seed {
	return Seed{ManagementAccountID: "111111111111", Organization: true, UserName: "admin",
		AccessKeyID: "test", SecretAccessKey: "test"}
}

// Initialize seeds the world on first start, then applies the start
// scenario (WithScenario) if there is one; on a data file that was seeded
// before it does nothing, so a restart keeps the world as it was. It
// reports whether it seeded. The seed is kept for Reset.
func (s *Server) Initialize(ctx context.Context, seed Seed) (bool, error) {
	s.seed = seed
	// A read first: a restart (of every tenant, too) finds the world
	// initialized and need not pay for a write transaction's fsync.
	initialized := false
	if err := s.store.View(ctx, func(tx *store.Tx) error { initialized = tx.Initialized(); return nil }); err != nil {
		return false, err
	}
	seeded := false
	if !initialized {
		err := s.store.Update(ctx, func(tx *store.Tx) error {
			// Assigned on every run: a group commit may run this again.
			seeded = !tx.Initialized()
			if !seeded {
				return nil
			}
			return s.seedWorld(tx)
		})
		if err != nil {
			return seeded, err
		}
	}
	return seeded, s.openTenants(ctx)
}

// Reset empties the world and seeds it again as Initialize first did
// (seed, then start scenario), in one transaction. Emulated time is left
// where it is: it never runs backwards.
func (s *Server) Reset(ctx context.Context) error {
	// The old world's batched CloudTrail records go with it, not into the new one.
	if err := s.FlushRecords(ctx); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Clear(); err != nil {
			return err
		}
		return s.seedWorld(tx)
	})
}

func (s *Server) seedWorld(tx *store.Tx) error {
	if err := applySeed(tx, s.seed); err != nil {
		return err
	}
	if s.startScenario != nil {
		result, err := applyScenario(tx, *s.startScenario)
		if err != nil {
			return fmt.Errorf("start scenario: %w", err)
		}
		s.lastScenario = &result
	}
	return nil
}

// ApplyScenario adds a scenario to the world, all of it or (on any error)
// nothing; invalid scenarios are *pipeline.Error values with code InvalidScenario.
func (s *Server) ApplyScenario(ctx context.Context, sc Scenario) (ScenarioResult, error) {
	var result ScenarioResult
	if s.guardKeys != nil {
		release, err := s.guardKeys(ctx, s.tenantID, sc.fixedAccessKeyIDs())
		if err != nil {
			return result, err
		}
		defer release()
	}
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		result, err = applyScenario(tx, sc)
		return err
	})
	return result, err
}

func applySeed(tx *store.Tx, seed Seed) error {
	mgmt := store.Account{ID: seed.ManagementAccountID, Name: "management", Email: "management@example.com", CreatedAt: tx.Now()}
	if err := tx.PutAccount(mgmt); err != nil {
		return err
	}
	if seed.Organization {
		if _, err := tx.CreateOrganization(mgmt.ID, "ALL"); err != nil {
			return err
		}
	}
	user, err := tx.CreateUser(mgmt.ID, seed.UserName, map[string]string{"AdministratorAccess": store.AdministratorAccess})
	if err != nil {
		return err
	}
	key, err := tx.CreateAccessKey(store.KindUser, mgmt.ID, user.ARN, user.ID, seed.AccessKeyID, seed.SecretAccessKey)
	if err != nil {
		return err
	}
	if err := tx.PutWorld(store.World{ManagementAccountID: mgmt.ID, AdminAccessKeyID: key.AccessKeyID}); err != nil {
		return err
	}
	return tx.MarkInitialized()
}

// OrganizationAccessRoleTrust is the trust policy AWS gives the role it
// creates in a new member account: the management account may assume it.
func OrganizationAccessRoleTrust(managementAccountID string) string {
	return store.OrganizationAccessRoleTrust(managementAccountID)
}

// defaultRoleMaxSession is the MaxSessionDuration of roles the emulator creates.
const defaultRoleMaxSession = time.Hour

// WorldInfo is what the banner and the info endpoint tell a user about the world.
type WorldInfo struct {
	ManagementAccountID string        `json:"management_account_id"`
	OrganizationID      string        `json:"organization_id,omitempty"`
	AccessKeyID         string        `json:"access_key_id"`
	SecretAccessKey     string        `json:"secret_access_key"`
	Accounts            []AccountInfo `json:"accounts"`
	// Scenarios are the named scenarios applied to this world, in name order.
	Scenarios []string `json:"scenarios,omitempty"`
}

// AccountInfo is one account of the world, for the info endpoint.
type AccountInfo struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	JoinedMethod string `json:"joined_method,omitempty"`
}

// Describe reports the seeded management account, its organization and the
// administrator's credentials as they are in the data file (a restart with
// other seed flags does not change an existing world).
func (s *Server) Describe(ctx context.Context) (WorldInfo, error) {
	var info WorldInfo
	err := s.store.View(ctx, func(tx *store.Tx) error {
		w, err := tx.World()
		if err != nil {
			return err
		}
		info.ManagementAccountID = w.ManagementAccountID
		if org, err := tx.OrganizationOf(w.ManagementAccountID); err == nil {
			info.OrganizationID = org.ID
		}
		if key, err := tx.Credential(w.AdminAccessKeyID); err == nil {
			info.AccessKeyID, info.SecretAccessKey = key.AccessKeyID, key.SecretAccessKey
		}
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range accounts {
			info.Accounts = append(info.Accounts, AccountInfo{ID: a.ID, Name: a.Name, Email: a.Email, JoinedMethod: a.JoinedMethod})
		}
		applied, err := tx.AppliedScenarios()
		for _, a := range applied {
			info.Scenarios = append(info.Scenarios, a.Name)
		}
		return err
	})
	return info, err
}

// ScenarioApplied reports whether the named scenario has been applied to the
// world (and not reset away since): what a restart with a start scenario
// can tell its user.
func (s *Server) ScenarioApplied(ctx context.Context, name string) (bool, error) {
	applied := false
	err := s.store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.AppliedScenario(name)
		switch {
		case err == nil:
			applied = true
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return nil
	})
	return applied, err
}

// ScenarioAppliedContent reports whether a scenario called sc.Name has been
// applied to the world, and whether with sc's content (spacing and key order
// aside) rather than another version of it. An unnamed scenario is never
// reported applied: nothing records it.
func (s *Server) ScenarioAppliedContent(ctx context.Context, sc Scenario) (applied, sameContent bool, err error) {
	if sc.Name == "" {
		return false, false, nil
	}
	err = s.store.View(ctx, func(tx *store.Tx) error {
		prior, err := tx.AppliedScenario(sc.Name)
		switch {
		case err == nil:
			applied, sameContent = true, prior.Digest == scenarioDigest(sc)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return nil
	})
	return applied, sameContent, err
}
