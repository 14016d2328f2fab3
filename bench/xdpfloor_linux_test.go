package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx/internal/vethtest"
)

var (
	floorPingLines = regexp.MustCompile(`^transport: AF_XDP, generic attach, copy mode\nready\nmessage size: 64 \[B\]\nroundtrip count: 200\nlatency percentiles \[us\]: p50=[0-9.]+ p90=[0-9.]+ p99=[0-9.]+ p99\.9=[0-9.]+ max=[0-9.]+\n$`)
	floorRelLines  = regexp.MustCompile(`^transport: AF_XDP, generic attach, copy mode\nchannel: zmqx's rel, no messaging layer\nready\nmessage size: 68 \[B\]\nroundtrip count: 200\nlatency percentiles \[us\]: p50=[0-9.]+ p90=[0-9.]+ p99=[0-9.]+ p99\.9=[0-9.]+ max=[0-9.]+\n$`)
	floorThrLines  = regexp.MustCompile(`(?m)^payload size: ([0-9]+) \[B\]\nmeasured: [0-9.]+ s, from [0-9.]+ s after the first arrival\n(datagrams|reads)/s: ([0-9]+)\npayload MB/s: ([0-9.]+)\nequivalent 64-byte ZMTP messages/s: ([0-9]+)\nreceiver cpu: `)
)

// floorRun runs bench/cmd/xdp_floor as server in B and client in A of p
// with the common arguments args and returns both outputs.
func floorRun(t *testing.T, bin string, p *vethtest.Pair, args ...string) (server, client string) {
	t.Helper()
	side := func(s, peer *vethtest.Side, role string) []string {
		return append([]string{"netns", "exec", s.NS, bin, "-role", role, "-iface", s.Link,
			"-local", s.Addr.String() + ":7788", "-peer", peer.Addr.String() + ":7788", "-peer-mac", peer.MAC.String()}, args...)
	}
	srv := exec.Command("ip", side(&p.B, &p.A, "server")...)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = srv.Stdout
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill() // the ping-pong server echoes until killed
	var head strings.Builder
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			srv.Wait()
			t.Fatalf("server: %v\n%s", err, head.String())
		}
		if line == "ready\n" {
			break
		}
	}
	out, err := exec.Command("ip", side(&p.A, &p.B, "client")...).CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s\nserver:\n%s", err, out, head.String())
	}
	if len(args) > 1 && args[0] == "-mode" && args[1] == "thr" {
		rest, _ := io.ReadAll(r)
		if err := srv.Wait(); err != nil {
			t.Fatalf("server: %v\n%s%s", err, head.String(), rest)
		}
		return head.String() + string(rest), string(out)
	}
	return head.String(), string(out)
}

// TestXDPFloor runs bench/cmd/xdp_floor on a veth pair: the ping-pong's
// output is what the scripts parse, and each throughput mode's counts
// agree with each other (datagrams x size = payload bytes = 66 x the
// equivalent messages), multi-buffer AF_XDP at MTU 9 000 included.
func TestXDPFloor(t *testing.T) {
	vethtest.Skip(t)
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, "./cmd/xdp_floor").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "xdp_floor")
	t.Run("pingpong", func(t *testing.T) {
		p := vethtest.New(t, 1)
		_, out := floorRun(t, bin, p, "-transport", "xdp", "-attach", "generic", "-count", "200", "-warmup", "10")
		if !floorPingLines.MatchString(out) {
			t.Errorf("client output\n%s", out)
		}
	})
	// -rel: the same ping-pong over zmqx's reliable channel, each message
	// read whole (the client checks every echo's size and sequence number).
	t.Run("pingpong-rel", func(t *testing.T) {
		p := vethtest.New(t, 1)
		srv, out := floorRun(t, bin, p, "-transport", "xdp", "-attach", "generic", "-count", "200", "-warmup", "10", "-size", "68", "-rel")
		if !floorRelLines.MatchString(out) {
			t.Errorf("client output\n%s\nserver output\n%s", out, srv)
		}
	})
	t.Run("rel-refused", func(t *testing.T) {
		for _, args := range [][]string{{"-rel", "-transport", "udp"}, {"-rel", "-mode", "thr"}} {
			out, err := exec.Command(bin, append(args, "-local", "10.0.0.1:1", "-peer", "10.0.0.2:1", "-peer-mac", "02:00:00:00:00:01")...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "-rel: with -transport xdp and -mode pingpong only") {
				t.Errorf("%v: %v, %s", args, err, out)
			}
		}
	})
	for _, c := range []struct {
		name string
		mtu  int
		args []string
		size int // payload bytes a datagram or write
	}{
		{"xdp-generic", 1500, []string{"-transport", "xdp", "-attach", "generic"}, 1472},
		{"xdp-native", 1500, []string{"-transport", "xdp", "-attach", "native"}, 1472},
		{"xdp-generic-block", 1500, []string{"-transport", "xdp", "-attach", "generic", "-block"}, 1472},
		{"xdp-native-sg", 9000, []string{"-transport", "xdp", "-attach", "native", "-sg"}, 8972},
		{"xdp-generic-sg-size", 9000, []string{"-transport", "xdp", "-attach", "generic", "-sg", "-size", "5000"}, 5000},
		{"udp", 1500, []string{"-transport", "udp"}, 1472},
		{"tcp", 1500, []string{"-transport", "tcp"}, 65536},
		{"tcp-block", 1500, []string{"-transport", "tcp", "-block", "-size", "8192"}, 8192},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := vethtest.New(t, 1)
			p.Neigh(t)
			for _, s := range []*vethtest.Side{&p.A, &p.B} {
				if out, err := s.Exec(t, "ip", "link", "set", "dev", s.Link, "mtu", fmt.Sprint(c.mtu)); err != nil {
					t.Fatalf("MTU %d on %s: %v: %s", c.mtu, s.Link, err, out)
				}
			}
			args := append([]string{"-mode", "thr", "-duration", "300ms", "-warmup-time", "100ms"}, c.args...)
			srv, cli := floorRun(t, bin, p, args...)
			m := floorThrLines.FindStringSubmatch(srv)
			if m == nil || !strings.Contains(cli, "sent: ") {
				t.Fatalf("server output\n%s\nclient output\n%s", srv, cli)
			}
			num := func(s string) float64 {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			size, n, mbps, eq := num(m[1]), num(m[3]), num(m[4]), num(m[5])
			if int(size) != c.size {
				t.Errorf("payload size %v, want %d", size, c.size)
			}
			if n <= 0 {
				t.Fatalf("nothing counted:\n%s", srv)
			}
			// Within the printed rounding: MB/s to 0.1, the rest to 1.
			near := func(a, b, slack float64) bool { return math.Abs(a-b) <= slack+1e-6*b }
			if !near(mbps*1e6/66, eq, 0.05e6/66+1) {
				t.Errorf("payload %v MB/s is not 66 B x %v messages/s", mbps, eq)
			}
			// A TCP read is not a write: only datagrams carry -size each.
			if !strings.HasPrefix(c.name, "tcp") && !near(n*size/1e6, mbps, 0.05+size/1e6) {
				t.Errorf("%v datagrams/s of %v bytes, but %v MB/s of payload", n, size, mbps)
			}
			if strings.Contains(srv, "unparsed") && !strings.Contains(srv, "unparsed 0") {
				t.Errorf("frames the receiver could not parse:\n%s", srv)
			}
		})
	}
}

// TestXDPOneThread runs bench/xdp_onethread.sh for one short round: both
// modes run in the namespace it makes (zmqx's REQ and REP over xdp://
// between the veth's ends, then the raw ping-pong), and the lines it prints
// and sums up parse.
func TestXDPOneThread(t *testing.T) {
	vethtest.Skip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "xdp_onethread.sh", "1", "2000")
	cmd.Env = append(os.Environ(), "CPU=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, re := range []string{
		`(?m)^zmqx: mean [0-9]+ ns p50 [0-9]+ p90 [0-9]+ p99 [0-9]+ \(2000 round trips\)$`,
		`(?m)^raw: mean [0-9]+ ns p50 [0-9]+ p90 [0-9]+ p99 [0-9]+ \(2000 round trips\)$`,
		`(?m)^zmqx p50 - raw p50, ns per round trip, round by round: -?[0-9]+; median -?[0-9]+$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("no line matching %s in\n%s", re, out)
		}
	}
}

// TestLatChunks runs bench/lat_chunks.sh for one short round over
// loopback: both runs print their chunks' p50s, and the summary table's
// rows parse.
func TestLatChunks(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset not installed")
	}
	dir, _ := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "lat_chunks.sh", "1", "400", "100")
	cmd.Env = append(os.Environ(), "BIN="+dir)
	if runtime.NumCPU() < 2 {
		cmd.Env = append(cmd.Env, "SERVER_CPU=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, re := range []string{
		`(?m)^zmqx: ([0-9]+\.[0-9]{2} ){4}$`,
		`(?m)^floor: ([0-9]+\.[0-9]{2} ){4}$`,
		`(?m)^\| median chunk \| [0-9.]+ \| [0-9.]+ \| n/a \|$`,
		`(?m)^\| fastest chunk \| [0-9.]+ \| [0-9.]+ \| n/a \|$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("no line matching %s in\n%s", re, out)
		}
	}
}

// TestXDPFootprint runs bench/xdp_footprint.sh for one short round of
// four variants (none, the control, distinct code, data): every run prints
// its round line with the legs it split, and the table has a row a variant.
func TestXDPFootprint(t *testing.T) {
	vethtest.Skip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "xdp_footprint.sh", "1", "300", "0", "same40", "20", "data16")
	if runtime.NumCPU() < 2 {
		cmd.Env = append(os.Environ(), "SERVER_CPU=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, v := range []string{"0", "same40", "20", "data16"} {
		for _, re := range []string{
			`(?m)^round 1, ` + v + `: round trip p50 [0-9.]+ us; server turnaround [0-9]+ ns; server kick -> client detect [0-9]+ ns$`,
			`(?m)^\| ` + v + ` \| [0-9]+\.[0-9]{2} \| [0-9]+ \| [0-9]+ \| [-+][0-9]+ \|$`,
		} {
			if !regexp.MustCompile(re).Match(out) {
				t.Errorf("no line matching %s in\n%s", re, out)
			}
		}
	}
}

// TestXDPAB runs bench/xdp_ab.sh for two short rounds of a zmqx build, the
// floor and the floor over rel: every run prints its round line, and the
// table has a row an item, with the ratios to the first for the others.
func TestXDPAB(t *testing.T) {
	vethtest.Skip(t)
	dir, _ := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "xdp_ab.sh", "2", "300", "64", dir, "floor:"+dir, "rel:"+dir)
	if runtime.NumCPU() < 2 {
		cmd.Env = append(os.Environ(), "SERVER_CPU=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	q := regexp.QuoteMeta
	for _, re := range []string{
		`(?m)^round 1 ` + q(dir) + `: p50 [0-9.]+ p99 [0-9.]+$`,
		`(?m)^round 2 floor:` + q(dir) + `: p50 [0-9.]+ p99 [0-9.]+$`,
		`(?m)^round 2 rel:` + q(dir) + `: p50 [0-9.]+ p99 [0-9.]+$`,
		`(?m)^\| ` + q(dir) + ` \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \| \| \| \|$`,
		`(?m)^\| floor:` + q(dir) + ` \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \| [0-9.]+ [0-9.]+ \| [0-9.]+ \| n/a \|$`,
		`(?m)^\| rel:` + q(dir) + ` \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \| [0-9.]+ [0-9.]+ \| [0-9.]+ \| n/a \|$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("no line matching %s in\n%s", re, out)
		}
	}
	// A missing build is refused before anything runs.
	if out, err := exec.Command("bash", "xdp_ab.sh", "1", "10", "64", "floor:"+t.TempDir()).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "no ") {
		t.Errorf("an item without tools: %v\n%s", err, out)
	}
}

var legsLine = regexp.MustCompile(`(?m)^legs xdp_floor: kick->detect n ([0-9]+) p25 [0-9]+ p50 ([0-9]+) p75 [0-9]+ ns; detect->kick n ([0-9]+) p25 [0-9]+ p50 ([0-9]+) p75 [0-9]+ ns$`)

// TestLegs: xdp_floor built with the zmqxlegs tag (bench/xdp.sh's LEGS)
// splits its ping-pong into legs from the stamps package xdp takes (package
// internal/legs), a leg and a turnaround per round trip; built without the
// tag it prints no such line, ZMQX_LEGS set or not.
func TestLegs(t *testing.T) {
	vethtest.Skip(t)
	name := fmt.Sprintf("test-%d", os.Getpid())
	t.Setenv("ZMQX_LEGS", name)
	t.Cleanup(func() { os.Remove(filepath.Join("/dev/shm", "zmqx-legs-"+name)) })
	for _, tagged := range []bool{true, false} {
		t.Run(fmt.Sprintf("tagged=%v", tagged), func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"build", "-o", dir}
			if tagged {
				args = append(args, "-tags", "zmqxlegs")
			}
			if out, err := exec.Command("go", append(args, "./cmd/xdp_floor")...).CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			p := vethtest.New(t, 1)
			_, out := floorRun(t, filepath.Join(dir, "xdp_floor"), p, "-transport", "xdp", "-attach", "generic", "-count", "300", "-warmup", "10")
			m := legsLine.FindStringSubmatch(out)
			if !tagged {
				if strings.Contains(out, "legs") {
					t.Fatalf("untagged build printed legs:\n%s", out)
				}
				return
			}
			if m == nil {
				t.Fatalf("no legs line:\n%s", out)
			}
			for i, min := range []int{300, 1, 300, 1} {
				if v, _ := strconv.Atoi(m[i+1]); v < min {
					t.Errorf("legs field %d is %d, want at least %d:\n%s", i+1, v, min, out)
				}
			}
		})
	}
}
