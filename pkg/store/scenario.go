package store

import (
	"encoding/json"
	"time"
)

// AppliedScenario records that a named scenario was applied to the world,
// so that applying it again can change nothing and say so. Reset forgets it
// with the rest of the world.
type AppliedScenario struct {
	Name string `json:"name"`
	// Digest identifies the scenario's content, to tell the same scenario
	// from another one that reuses its name.
	Digest    string    `json:"digest"`
	AppliedAt time.Time `json:"applied_at"`
	// Result is what applying it answered (account ids, generated keys), as JSON.
	Result json.RawMessage `json:"result"`
}

// AppliedScenario returns the record of the scenario called name; ErrNotFound if it was never applied.
func (tx *Tx) AppliedScenario(name string) (AppliedScenario, error) {
	var a AppliedScenario
	err := tx.get(scenariosBucket, name, &a)
	return a, err
}

// PutAppliedScenario records a named scenario as applied.
func (tx *Tx) PutAppliedScenario(a AppliedScenario) error { return tx.put(scenariosBucket, a.Name, a) }

// AppliedScenarios lists the applied named scenarios in name order (for
// the info endpoint: there are a handful, never on a request's hot path).
func (tx *Tx) AppliedScenarios() ([]AppliedScenario, error) {
	var out []AppliedScenario
	err := each(tx, scenariosBucket, "", func(_ string, a *AppliedScenario) error {
		out = append(out, *a)
		return nil
	})
	return out, err
}
