// Package emulator is the root of the AWS root access management emulator's
// module. It holds the scenarios shipped in testdata/scenarios, embedded so
// that the program (-scenario NAME) and other modules' tests
// (apitest's LoadScenario(t, NAME)) can load them by name without a path.
// Load them through pkg/api: api.ScenarioNamed and api.ScenarioNames.
package emulator

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed testdata/scenarios/*.json
var shipped embed.FS

const shippedDir = "testdata/scenarios"

// ShippedScenario returns the JSON of the shipped scenario called name (its
// file name without .json, e.g. "locked-bucket"), and whether there is one.
func ShippedScenario(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, false
	}
	data, err := shipped.ReadFile(path.Join(shippedDir, name+".json"))
	return data, err == nil
}

// ShippedScenarioNames lists the shipped scenarios' names, sorted.
func ShippedScenarioNames() []string {
	entries, _ := fs.ReadDir(shipped, shippedDir)
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}
