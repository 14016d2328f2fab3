package zmqx_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeSnippet: the README's "Use it" code is examples/pubsub's, so it
// compiles (go vet, go build) and works as written (CI runs the program).
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Use it\n\n```go\n")
	if !ok {
		t.Fatal(`README has no "## Use it" Go block`)
	}
	snippet, _, _ := strings.Cut(after, "```\n")
	src, err := os.ReadFile("examples/pubsub/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "// README begin\n")
	body, _, _ = strings.Cut(body, "\t// README end")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	want := strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
	if snippet != want {
		t.Errorf("README's snippet and examples/pubsub differ:\n--- README\n%s--- examples/pubsub\n%s", snippet, want)
	}
}
