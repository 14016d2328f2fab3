package bench

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// build compiles the tools, and the libzmq peer when it can.
func build(t *testing.T) (dir string, libzmq bool) {
	dir = t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir, "./cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libzmq").Output()
	if err == nil {
		args := append([]string{"-O2", "-o", filepath.Join(dir, "zmqperf"), "peers/zmqperf.c"}, strings.Fields(string(flags))...)
		args = append(args, "-lpthread")
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
	latLines = regexp.MustCompile(`^message size: 64 \[B\]\nroundtrip count: 200\naverage latency: [0-9]+\.[0-9]{3} \[us\]\nlatency percentiles \[us\]: p50=[0-9.]+ p90=[0-9.]+ p99=[0-9.]+ p99\.9=[0-9.]+ max=[0-9.]+\nlatency tail \[us\]: p99\.99=[0-9.]+ p99\.999=[0-9.]+\n$`)
	thrLines = regexp.MustCompile(`^message size: 64 \[B\]\nmessage count: 5000\nmean throughput: [0-9]+ \[msg/s\]\nmean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]\n$`)
	pubLines = regexp.MustCompile(`^message size: 64 \[B\]\nmessage count: 2000\nmean throughput: [0-9]+ \[msg/s\]\nmean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]\n$`)
	subLines = regexp.MustCompile(`^message size: 64 \[B\]\nmessage count: ([0-9]+)\nsubscribers: 3\nmean throughput: [0-9]+ \[msg/s\]\nmean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]\ndelivered: ([0-9]+\.[0-9]{2}) %\n$`)
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

// TestFanOutContract runs pub_thr with 3 subscribers in one sub_thr,
// zmqx with zmqx and with libzmq both ways, checks the printed lines and
// that something was delivered (a PUB drops at the HWM, so not everything
// need be).
func TestFanOutContract(t *testing.T) {
	dir, libzmq := build(t)
	zmqx := func(tool string) []string { return []string{filepath.Join(dir, tool)} }
	c := func(tool string) []string { return []string{filepath.Join(dir, "zmqperf"), tool} }
	type pairing struct {
		name     string
		pub, sub func(string) []string
	}
	pairs := []pairing{{"zmqx→zmqx", zmqx, zmqx}}
	if libzmq {
		pairs = append(pairs, pairing{"zmqx→libzmq", zmqx, c}, pairing{"libzmq→zmqx", c, zmqx})
	} else {
		t.Log("libzmq not installed: pairing zmqx with itself only")
	}
	for i, p := range pairs {
		ep := fmt.Sprintf("ipc://%s/fan%d", dir, i)
		pout, sout := pair(t, append(p.pub("pub_thr"), ep, "64", "2000", "3"), append(p.sub("sub_thr"), ep, "64", "2000", "3"))
		if !pubLines.MatchString(pout) {
			t.Errorf("%s: pub_thr output\n%s", p.name, pout)
		}
		m := subLines.FindStringSubmatch(sout)
		if m == nil {
			t.Errorf("%s: sub_thr output\n%s", p.name, sout)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		pct, _ := strconv.ParseFloat(m[2], 64)
		if n <= 0 || n > 3*2000 || math.Abs(pct-float64(n)*100/(3*2000)) > 0.01 {
			t.Errorf("%s: %d delivered (%v %%) of 3 × 2000\n%s", p.name, n, pct, sout)
		}
	}
}

// checkHgrm checks that path holds an HdrHistogram percentile distribution
// of n values: the column header, rows ending at percentile 1 with all n
// counted, and the #[Mean, #[Max and #[Buckets footer.
func checkHgrm(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 6 {
		t.Fatalf("%s: %d lines:\n%s", path, len(lines), b)
	}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "Value Percentile TotalCount 1/(1-Percentile)" {
		t.Errorf("%s: header %q", path, lines[0])
	}
	foot := lines[len(lines)-3:]
	for i, prefix := range []string{"#[Mean", "#[Max", "#[Buckets"} {
		if !strings.HasPrefix(foot[i], prefix) {
			t.Errorf("%s: footer line %q, want it to start with %q", path, foot[i], prefix)
		}
	}
	last := strings.Fields(lines[len(lines)-4])
	if len(last) != 4 || last[1] != "1.000000" || last[2] != fmt.Sprint(n) || last[3] != "inf" {
		t.Errorf("%s: last row %q, want percentile 1.000000 and count %d", path, lines[len(lines)-4], n)
	}
}

// TestLatencyOptions runs remote_lat with the options only it has: the
// histogram file, a fixed request rate, and the p50 of every chunk of round
// trips (on stderr, before the contract's lines).
func TestLatencyOptions(t *testing.T) {
	dir, _ := build(t)
	tool := func(name string) string { return filepath.Join(dir, name) }
	hgrm := filepath.Join(dir, "rtt.hgrm")
	chunks := regexp.MustCompile(`(?m)^chunk p50 \[us\]: [0-9]+\.[0-9]{2}\n`)
	for i, opts := range [][]string{{"--hgrm", hgrm}, {"--rate", "4000"}, {"--chunk", "50"}} {
		ep := fmt.Sprintf("ipc://%s/opt%d", dir, i)
		_, out := pair(t, []string{tool("local_lat"), ep, "64", "200"}, append(append([]string{tool("remote_lat")}, opts...), ep, "64", "200"))
		want := 0
		if opts[0] == "--chunk" {
			want = 200 / 50
		}
		if n := len(chunks.FindAllString(out, -1)); n != want {
			t.Errorf("remote_lat %q: %d chunk lines, want %d", opts, n, want)
		}
		if !latLines.MatchString(chunks.ReplaceAllString(out, "")) {
			t.Errorf("remote_lat %q: output\n%s", opts, out)
		}
	}
	checkHgrm(t, hgrm, 200)
}

// TestPeerHgrm runs the libzmq peer's remote_lat with --hgrm, which writes
// the distribution from its exact round trips in the same format.
func TestPeerHgrm(t *testing.T) {
	dir, libzmq := build(t)
	if !libzmq {
		t.Skip("libzmq not installed")
	}
	peer := filepath.Join(dir, "zmqperf")
	hgrm := filepath.Join(dir, "libzmq.hgrm")
	ep := fmt.Sprintf("ipc://%s/peer", dir)
	_, out := pair(t, []string{peer, "local_lat", ep, "64", "200"}, []string{peer, "remote_lat", "--hgrm", hgrm, ep, "64", "200"})
	if !latLines.MatchString(out) {
		t.Errorf("output\n%s", out)
	}
	checkHgrm(t, hgrm, 200)
}

// TestFloorLat runs floor_lat's server and client in each mode this OS has
// and checks that the client prints remote_lat's lines.
func TestFloorLat(t *testing.T) {
	dir, _ := build(t)
	modes := []string{"block"}
	if runtime.GOOS == "linux" {
		modes = append(modes, "spin")
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			bin := filepath.Join(dir, "floor_lat")
			srv := exec.Command(bin, "--mode", mode, "server", "127.0.0.1:0", "64", "200")
			stderr, err := srv.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Wait()
			// The server says where it listens once it does.
			line, err := bufio.NewReader(stderr).ReadString('\n')
			addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
			if err != nil || !ok {
				srv.Process.Kill()
				t.Fatalf("server's first line %q, %v", line, err)
			}
			hgrm := filepath.Join(dir, mode+".hgrm")
			out, err := exec.Command(bin, "--mode", mode, "--warmup", "10", "--hgrm", hgrm, "client", addr, "64", "200").CombinedOutput()
			if err != nil {
				srv.Process.Kill()
				t.Fatalf("client: %v\n%s", err, out)
			}
			if !latLines.MatchString(string(out)) {
				t.Errorf("client output\n%s", out)
			}
			checkHgrm(t, hgrm, 200)
		})
	}
}

func TestToolUsage(t *testing.T) {
	dir, _ := build(t)
	for _, args := range [][]string{
		{"remote_lat"},
		{"remote_lat", "tcp://127.0.0.1:1", "x", "10"},
		{"local_thr", "--idle", "nap", "tcp://127.0.0.1:0", "1", "1"},
		{"local_thr", "tcp://127.0.0.1:0", "1", "0"},
		{"local_lat", "--rate", "10", "tcp://127.0.0.1:0", "1", "1"},
		{"remote_lat", "--rate", "-1", "tcp://127.0.0.1:1", "1", "1"},
		{"sub_thr", "tcp://127.0.0.1:1", "64", "10"},
		{"sub_thr", "tcp://127.0.0.1:1", "64", "10", "0"},
		{"pub_thr", "tcp://127.0.0.1:0", "0", "10", "3"},
		{"pub_thr", "--rate", "10", "tcp://127.0.0.1:0", "64", "10", "3"},
		{"floor_lat", "--mode", "nap", "server", "127.0.0.1:0", "1", "1"},
		{"floor_lat", "listen", "127.0.0.1:0", "1", "1"},
		{"floor_lat", "server", "127.0.0.1:0", "0", "1"},
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
