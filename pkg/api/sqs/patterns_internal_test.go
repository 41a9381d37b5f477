package sqs

import (
	"testing"

	"github.com/rootaccess/emulator/pkg/api/internal/patterntest"
)

// The hand-written name checks accept exactly what the model's patterns do.
func TestNameChecksMatchTheModelPatterns(t *testing.T) {
	const nameAlphabet = "abzAZ09_-."
	patterntest.Run(t, []patterntest.Case{
		{Name: "queue name", Pattern: `^[A-Za-z0-9_-]{1,80}$`, Check: ValidQueueName, Alphabet: nameAlphabet,
			Valid: []string{"q", "my-queue_1", "A234567890123456789012345678901234567890123456789012345678901234567890123456789Z"}, MaxLen: 85},
		{Name: "FIFO queue name", Pattern: `^[A-Za-z0-9_-]{1,75}\.fifo$`, Check: validFIFOQueueName, Alphabet: nameAlphabet + "fio",
			Valid: []string{"q.fifo", "orders-1_a.fifo", "A2345678901234567890123456789012345678901234567890123456789012345678901234Z.fifo"}, MaxLen: 85},
		{Name: "queue region", Pattern: `^[a-z0-9-]{1,32}$`, Check: validQueueRegion, Alphabet: "az09-A",
			Valid: []string{"us-east-1", "a", "abcdefghijklmnopqrstuvwxyz012345"}, MaxLen: 36},
		{Name: "batch entry id", Pattern: `^[A-Za-z0-9_-]{1,80}$`, Check: validBatchEntryID, Alphabet: nameAlphabet,
			Valid: []string{"1", "entry_1-a"}, MaxLen: 85},
		{Name: "message attribute name", Pattern: `^[A-Za-z0-9_.-]{1,256}$`, Check: validMessageAttributeName, Alphabet: nameAlphabet,
			Valid: []string{"attr", "my.attr-1_x"}, MaxLen: 260},
		{Name: "FIFO group or deduplication id", Pattern: "^[A-Za-z0-9!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]{1,128}$", Check: validFIFOID,
			Alphabet: "aZ09!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", Valid: []string{"group-1", "!~{}|", "a"}, MaxLen: 132},
	})
}
