package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The repository's root, where zmqx's own tools are built from (this test's
// working directory is bench/peers/zmq4perf).
const repoRoot = "../../.."

// The lines of the benchmark contract (the main module's
// bench/contract_test.go checks zmqx's tools against the same).
var (
	latLines = regexp.MustCompile(`^message size: 64 \[B\]\nroundtrip count: 200\naverage latency: [0-9]+\.[0-9]{3} \[us\]\nlatency percentiles \[us\]: p50=[0-9.]+ p90=[0-9.]+ p99=[0-9.]+ p99\.9=[0-9.]+ max=[0-9.]+\nlatency tail \[us\]: p99\.99=[0-9.]+ p99\.999=[0-9.]+\n$`)
	thrLines = regexp.MustCompile(`^message size: 64 \[B\]\nmessage count: 5000\nmean throughput: [0-9]+ \[msg/s\]\nmean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]\n$`)
)

// build compiles zmq4perf and zmqx's tools into a temporary directory, and
// libzmq's peer when pkg-config finds libzmq.
func build(t *testing.T) (dir string, libzmq bool) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, ".").CombinedOutput(); err != nil {
		t.Fatalf("building zmq4perf: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "build", "-o", dir, "./bench/cmd/local_lat", "./bench/cmd/remote_lat", "./bench/cmd/local_thr", "./bench/cmd/remote_thr")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building zmqx's tools: %v\n%s", err, out)
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libzmq").Output()
	if err != nil {
		t.Log("libzmq not installed: zmq4 not paired with libzmq")
		return dir, false
	}
	args := append([]string{"-O2", "-o", filepath.Join(dir, "zmqperf"), filepath.Join(repoRoot, "bench/peers/zmqperf.c")}, strings.Fields(string(flags))...)
	if out, err := exec.Command("gcc", append(args, "-lpthread")...).CombinedOutput(); err != nil {
		t.Fatalf("building the libzmq peer: %v\n%s", err, out)
	}
	return dir, true
}

// freeEndpoint returns a tcp endpoint on loopback with a port that was free
// a moment ago.
func freeEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// pair runs a server and a client command and returns their outputs.
func pair(t *testing.T, server, client []string) (string, string) {
	t.Helper()
	srv := exec.Command(server[0], server[1:]...)
	var sout bytes.Buffer
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

// TestPairings runs zmq4perf against itself, against zmqx's tools both ways
// and, when libzmq is installed, against libzmq's peer both ways, over tcp:
// REQ/REP latency and PUSH/PULL throughput, checking the printed lines.
func TestPairings(t *testing.T) {
	dir, libzmq := build(t)
	impls := map[string]func(tool string) []string{
		"zmq4": func(tool string) []string { return []string{filepath.Join(dir, "zmq4perf"), tool} },
		"zmqx": func(tool string) []string { return []string{filepath.Join(dir, tool)} },
	}
	if libzmq {
		impls["libzmq"] = func(tool string) []string { return []string{filepath.Join(dir, "zmqperf"), tool} }
	}
	for sname, srv := range impls {
		for cname, cli := range impls {
			if sname != "zmq4" && cname != "zmq4" {
				continue // pairings without zmq4 are the main module's
			}
			t.Run(fmt.Sprintf("server=%s,client=%s", sname, cname), func(t *testing.T) {
				ep := freeEndpoint(t)
				_, out := pair(t, append(srv("local_lat"), ep, "64", "200"), append(cli("remote_lat"), ep, "64", "200"))
				if !latLines.MatchString(out) {
					t.Errorf("latency: output\n%s", out)
				}
				ep = freeEndpoint(t)
				out, _ = pair(t, append(srv("local_thr"), ep, "64", "5000"), append(cli("remote_thr"), ep, "64", "5000"))
				if !thrLines.MatchString(out) {
					t.Errorf("throughput: output\n%s", out)
				}
			})
		}
	}
}

// TestHgrm checks that remote_lat --hgrm writes an HdrHistogram percentile
// distribution of all the round trips.
func TestHgrm(t *testing.T) {
	dir, _ := build(t)
	bin := filepath.Join(dir, "zmq4perf")
	hgrm := filepath.Join(dir, "zmq4.hgrm")
	ep := freeEndpoint(t)
	_, out := pair(t, []string{bin, "local_lat", ep, "64", "200"}, []string{bin, "remote_lat", "--hgrm", hgrm, ep, "64", "200"})
	if !latLines.MatchString(out) {
		t.Errorf("output\n%s", out)
	}
	b, err := os.ReadFile(hgrm)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 6 || strings.Join(strings.Fields(lines[0]), " ") != "Value Percentile TotalCount 1/(1-Percentile)" {
		t.Fatalf("not a percentile distribution:\n%s", b)
	}
	last := strings.Fields(lines[len(lines)-4])
	if len(last) != 4 || last[1] != "1.000000" || last[2] != "200" || last[3] != "inf" {
		t.Errorf("last row %q, want percentile 1 and all 200 round trips", lines[len(lines)-4])
	}
	if !strings.HasPrefix(lines[len(lines)-1], "#[Buckets") {
		t.Errorf("no footer:\n%s", b)
	}
}

func TestUsage(t *testing.T) {
	for _, argv := range [][]string{
		{},
		{"pub_thr", "tcp://127.0.0.1:1", "64", "10"},
		{"remote_lat", "tcp://127.0.0.1:1", "64"},
		{"remote_lat", "tcp://127.0.0.1:1", "x", "10"},
		{"remote_lat", "tcp://127.0.0.1:1", "64", "0"},
		{"local_lat", "--hgrm", "f", "tcp://127.0.0.1:1", "64", "10"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(argv, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2", argv, code)
		}
		if stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%q: stdout %q, stderr %q: want only a reason on stderr", argv, stdout.String(), stderr.String())
		}
	}
	a, err := parse([]string{"remote_lat", "--hgrm", "x.hgrm", "tcp://127.0.0.1:5555", "64", "10"}, &bytes.Buffer{})
	if err != nil || a != (args{mode: "remote_lat", endpoint: "tcp://127.0.0.1:5555", hgrm: "x.hgrm", size: 64, count: 10}) {
		t.Errorf("parse: %+v, %v", a, err)
	}
}
