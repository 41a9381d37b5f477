package api_test

import (
	"fmt"

	"github.com/rootaccess/emulator/pkg/api"
)

func ExampleScenarioNamed() {
	fmt.Println(api.ScenarioNames())
	sc, err := api.ScenarioNamed("locked-bucket")
	if err != nil {
		panic(err)
	}
	fmt.Println(sc.Name, len(sc.Accounts), sc.Accounts[0].Name)
	_, err = api.ScenarioNamed("locked-bukcet")
	fmt.Println(err)
	// Output:
	// [guardrails legacy-fleet locked-bucket locked-queue root-auditor]
	// locked-bucket 1 analytics
	// no shipped scenario is called "locked-bukcet"; the shipped ones are guardrails, legacy-fleet, locked-bucket, locked-queue, root-auditor
}
