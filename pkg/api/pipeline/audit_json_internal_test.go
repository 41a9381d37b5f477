package pipeline

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rootaccess/emulator/pkg/api/internal/randfill"
)

// strings that take each path of appendJSONString: plain ASCII, empty, and
// every kind of character encoding/json escapes.
var recordStrings = []string{"", "plain", "arn:aws:iam::111111111111:user/admin", "a<b>&c", "x<y", "p>q", "r&s", `quote"back\slash`,
	"ctl\x01\n\t\r\b\f", "é ✓ 雪", "line\u2028sep\u2029", "bad\xffutf8", "aws-cli/2.15.0 Python/3.11 md/command#sts.assume-root"}

var recordValues = []any{nil, map[string]any(nil), map[string]any{}, map[string]any{"durationSeconds": 900.0,
	"targetPrincipal": "222222222222", "taskPolicyArn": map[string]any{"arn": "arn:aws:iam::aws:policy/root-task/X<"}},
	[]any{"a", true, 1.5, nil}, "bare string"}

// recordFiller fills a record with recordStrings and recordValues.
var recordFiller = randfill.Filler{Strings: recordStrings, Values: recordValues}

func TestAuditRecordJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 5000 {
		var rec auditRecord
		recordFiller.Fill(r, reflect.ValueOf(&rec).Elem())
		want, err := json.Marshal(rec)
		require.NoError(t, err)
		got := rec.appendJSON(nil)
		require.Equal(t, string(want), string(got), "record %d", i)
	}
	// And the zero record: every omitempty member left out.
	want, _ := json.Marshal(auditRecord{})
	require.Equal(t, string(want), string((&auditRecord{}).appendJSON(nil)))
}
