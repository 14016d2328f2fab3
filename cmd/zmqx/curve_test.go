package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqx/zmqx"
)

// keygen prints exactly two lines, a public key and the secret key it
// belongs to, in Z85.
func TestKeygen(t *testing.T) {
	out, _, err := runCLI(t, "", "keygen")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "public: ") || !strings.HasPrefix(lines[1], "secret: ") {
		t.Fatalf("keygen printed %q", out)
	}
	pub, err := zmqx.ParseCurveKey(strings.TrimPrefix(lines[0], "public: "))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := zmqx.ParseCurveKey(strings.TrimPrefix(lines[1], "secret: "))
	if err != nil {
		t.Fatal(err)
	}
	if zmqx.CurvePublicKey(sec) != pub {
		t.Fatal("the public key is not the secret key's")
	}
	again, _, _ := runCLI(t, "", "keygen")
	if again == out {
		t.Fatal("the same pair twice")
	}
	var ue *usageError
	if _, _, err := runCLI(t, "", "keygen", "extra"); !errors.As(err, &ue) {
		t.Fatalf("keygen extra: %v", err)
	}
}

// send and recv talk CURVE with the --curve flags; a client with another
// server key gets nothing through.
func TestCurveFlags(t *testing.T) {
	sp, ss, _ := zmqx.NewCurveKeyPair()
	cp, cs, _ := zmqx.NewCurveKeyPair()
	ep := ipc(t, "c")
	recv := start(t, "", "recv", "--type", "PULL", "--bind", ep, "--count", "1", "--timeout", "20s", "--curve-server", ss.String())
	if _, stderr, err := runCLI(t, "", "send", "--type", "PUSH", "--connect", ep, "--timeout", "20s",
		"--curve-secret", cs.String(), "--curve-public", cp.String(), "--curve-server-key", sp.String(), "sealed"); err != nil {
		t.Fatalf("send: %v (%s)", err, stderr)
	}
	if err := recv.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.String(); got != "sealed\n" {
		t.Fatalf("got %q", got)
	}

	// A zmqx REP server as the CLI's CURVE peer: the wrong server key is
	// refused, so the request never arrives and send times out.
	rep := socket(t, zmqx.REP, zmqx.SocketOptions{CurveServer: true, CurveSecretKey: ss})
	ep2 := ipc(t, "d")
	if err := rep.Bind(ep2); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, "", "send", "--type", "REQ", "--connect", ep2, "--timeout", "300ms",
		"--curve-secret", cs.String(), "--curve-public", cp.String(), "--curve-server-key", cp.String(), "ping")
	if err == nil {
		t.Fatal("a client with the wrong server key got a reply")
	}

	var ue *usageError
	for name, args := range map[string][]string{
		"server and client": {"--curve-server", ss.String(), "--curve-secret", cs.String()},
		"incomplete client": {"--curve-secret", cs.String(), "--curve-public", cp.String()},
		"bad key":           {"--curve-server", "not-z85"},
		"mismatched pair":   {"--curve-secret", cs.String(), "--curve-public", sp.String(), "--curve-server-key", sp.String()},
	} {
		args = append([]string{"recv", "--type", "PULL", "--bind", ipc(t, "e")}, args...)
		if _, _, err := runCLI(t, "", args...); !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	help, _, _ := runCLI(t, "", "help")
	for _, want := range []string{"zmqx keygen", "--curve-server SECRET", "--curve-server-key SERVERKEY"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	help, _, _ = runCLI(t, "", "recv", "-h")
	if !strings.Contains(help, "-curve-server-key") {
		t.Error("recv -h lacks the CURVE flags")
	}
}
