package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
)

// modelsDir is where the AWS service models sit beside the project (shared/
// next to the repository's root); the test skips when they are absent.
var modelsDir = filepath.Join("..", "..", "..", "shared", "aws-models")

// modelFiles maps each emulated service to its model.
var modelFiles = map[string]string{
	"sts":           "sts/2011-06-15/service-2.json",
	"iam":           "iam/2010-05-08/service-2.json",
	"organizations": "organizations/2016-11-28/service-2.json",
	"s3":            "s3/2006-03-01/service-2.json",
	"sqs":           "sqs/2012-11-05/service-2.json",
	"cloudtrail":    "cloudtrail/2013-11-01/service-2.json",
}

// TestOperationsExistInServiceModels checks every registered operation
// against AWS's own model: a misspelt or invented operation fails here.
func TestOperationsExistInServiceModels(t *testing.T) {
	if _, err := os.Stat(modelsDir); err != nil {
		t.Skipf("AWS service models not found at %s: %v", modelsDir, err)
	}
	models := map[string]map[string]json.RawMessage{}
	for svc, file := range modelFiles {
		data, err := os.ReadFile(filepath.Join(modelsDir, file))
		require.NoError(t, err)
		var model struct {
			Operations map[string]json.RawMessage `json:"operations"`
		}
		require.NoError(t, json.Unmarshal(data, &model))
		models[svc] = model.Operations
	}
	srv := apitest.New(t)
	ops := srv.API.Operations()
	require.NotEmpty(t, ops)
	for _, op := range ops {
		model, ok := models[op.Service]
		if !assert.Truef(t, ok, "operation %s: service %q has no model", op.Name, op.Service) {
			continue
		}
		_, ok = model[op.Name]
		assert.Truef(t, ok, "%s %s is not an operation of the %s service model", op.Service, op.Name, op.Service)
		assert.NotEmptyf(t, op.Action, "%s %s has no IAM action", op.Service, op.Name)
	}
}
