package api_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/apitest"
)

// modelsDir is where the AWS service models sit beside the project (shared/
// next to the repository's root); the test skips when they are absent.
var modelsDir = filepath.Join("..", "..", "..", "shared", "aws-models")

// modelFiles maps each emulated service to its models: S3 serves S3
// Control's tagging operations too (signed for s3, under /v20180820/).
var modelFiles = map[string][]string{
	"sts":           {"sts/2011-06-15/service-2.json"},
	"iam":           {"iam/2010-05-08/service-2.json"},
	"organizations": {"organizations/2016-11-28/service-2.json"},
	"s3":            {"s3/2006-03-01/service-2.json", "s3control/2018-08-20/service-2.json"},
	"sqs":           {"sqs/2012-11-05/service-2.json"},
	"cloudtrail":    {"cloudtrail/2013-11-01/service-2.json"},
}

// readModel reads a model from modelsDir, or else from the data of the
// installed botocore (the models' source, beside CLI v1), where it may be
// gzipped; ok is false when neither has it.
func readModel(t *testing.T, file string) (data []byte, ok bool) {
	if data, err := os.ReadFile(filepath.Join(modelsDir, file)); err == nil {
		return data, true
	}
	out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		return nil, false
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "data", file)
	if data, err := os.ReadFile(path); err == nil {
		return data, true
	}
	f, err := os.Open(path + ".gz")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err = io.ReadAll(zr)
	require.NoError(t, err)
	return data, true
}

// TestOperationsExistInServiceModels checks every registered operation
// against AWS's own model: a misspelt or invented operation fails here.
func TestOperationsExistInServiceModels(t *testing.T) {
	if _, err := os.Stat(modelsDir); err != nil {
		t.Skipf("AWS service models not found at %s: %v", modelsDir, err)
	}
	models := map[string]map[string]json.RawMessage{}
	incomplete := map[string]bool{} // services with a model not found
	for svc, files := range modelFiles {
		models[svc] = map[string]json.RawMessage{}
		for _, file := range files {
			data, ok := readModel(t, file)
			if !ok {
				t.Logf("model %s not found in %s nor in botocore: %s operations absent from its other models are not checked", file, modelsDir, svc)
				incomplete[svc] = true
				continue
			}
			var model struct {
				Operations map[string]json.RawMessage `json:"operations"`
			}
			require.NoError(t, json.Unmarshal(data, &model))
			for name, op := range model.Operations {
				models[svc][name] = op
			}
		}
	}
	srv := apitest.New(t)
	ops := srv.API.Operations()
	require.NotEmpty(t, ops)
	for _, op := range ops {
		model, ok := models[op.Service]
		if !assert.Truef(t, ok, "operation %s: service %q has no model", op.Name, op.Service) {
			continue
		}
		assert.NotEmptyf(t, op.Action, "%s %s has no IAM action", op.Service, op.Name)
		if _, ok = model[op.Name]; !ok && incomplete[op.Service] {
			continue
		}
		assert.Truef(t, ok, "%s %s is not an operation of the %s service model", op.Service, op.Name, op.Service)
	}
}
