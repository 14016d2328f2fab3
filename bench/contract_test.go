package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// build compiles the four tools, and the libzmq peer when it can.
func build(t *testing.T) (dir string, libzmq bool) {
	dir = t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir, "./cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libzmq").Output()
	if err == nil {
		args := append([]string{"-O2", "-o", filepath.Join(dir, "zmqperf"), "peers/zmqperf.c"}, strings.Fields(string(flags))...)
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			t.Fatalf("building the libzmq peer: %v\n%s", err, out)
		}
		return dir, true
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI needs libzmq to pair the tools with: %v", err)
	}
	return dir, false
}

// pair runs a server and a client tool and returns their outputs.
func pair(t *testing.T, server, client []string) (string, string) {
	t.Helper()
	srv := exec.Command(server[0], server[1:]...)
	var sout strings.Builder
	srv.Stdout, srv.Stderr = &sout, &sout
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	cout, err := exec.Command(client[0], client[1:]...).CombinedOutput()
	if err != nil {
		srv.Process.Kill()
		srv.Wait()
		t.Fatalf("%v: %v\n%s", client, err, cout)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s", server, err, sout.String())
	}
	return sout.String(), string(cout)
}

var (
	latLines = regexp.MustCompile(`^message size: 64 \[B\]\nroundtrip count: 200\naverage latency: [0-9]+\.[0-9]{3} \[us\]\nlatency percentiles \[us\]: p50=[0-9.]+ p90=[0-9.]+ p99=[0-9.]+ p99\.9=[0-9.]+ max=[0-9.]+\n$`)
	thrLines = regexp.MustCompile(`^message size: 64 \[B\]\nmessage count: 5000\nmean throughput: [0-9]+ \[msg/s\]\nmean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]\n$`)
)

// TestToolContract runs each zmqx tool against its zmqx counterpart and
// against libzmq, both ways, and checks the printed lines exactly.
func TestToolContract(t *testing.T) {
	dir, libzmq := build(t)
	impls := map[string]func(tool string) []string{
		"zmqx": func(tool string) []string { return []string{filepath.Join(dir, tool)} },
	}
	if libzmq {
		impls["libzmq"] = func(tool string) []string { return []string{filepath.Join(dir, "zmqperf"), tool} }
	} else {
		t.Log("libzmq not installed: pairing zmqx with itself only")
	}
	n := 0
	for sname, srv := range impls {
		for cname, cli := range impls {
			if sname == "libzmq" && cname == "libzmq" {
				continue
			}
			n++
			ep := fmt.Sprintf("ipc://%s/lat%d", dir, n)
			_, out := pair(t, append(srv("local_lat"), ep, "64", "200"), append(cli("remote_lat"), ep, "64", "200"))
			if !latLines.MatchString(out) {
				t.Errorf("latency, server %s, client %s: output\n%s", sname, cname, out)
			}
			ep = fmt.Sprintf("ipc://%s/thr%d", dir, n)
			out, _ = pair(t, append(srv("local_thr"), ep, "64", "5000"), append(cli("remote_thr"), ep, "64", "5000"))
			if !thrLines.MatchString(out) {
				t.Errorf("throughput, server %s, client %s: output\n%s", sname, cname, out)
			}
		}
	}
}

func TestToolUsage(t *testing.T) {
	dir, _ := build(t)
	for _, args := range [][]string{
		{"remote_lat"},
		{"remote_lat", "tcp://127.0.0.1:1", "x", "10"},
		{"local_thr", "--idle", "nap", "tcp://127.0.0.1:0", "1", "1"},
		{"local_thr", "tcp://127.0.0.1:0", "1", "0"},
	} {
		out, err := exec.Command(filepath.Join(dir, args[0]), args[1:]...).CombinedOutput()
		if err == nil {
			t.Errorf("%q succeeded", args)
		}
		if len(out) == 0 {
			t.Errorf("%q failed without saying why", args)
		}
	}
}
