package interop

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/zmqx/zmqx/internal/ztest"
)

var (
	peerBin  string
	peerErr  error
	peerOnce sync.Once
	tmpDir   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zmqx-interop")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpDir = dir
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close() // open the network poller before counting descriptors
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// buildPeer compiles peer/zmqpeer.c against the system libzmq.
func buildPeer() (string, error) {
	peerOnce.Do(func() {
		flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libzmq").Output()
		if err != nil {
			peerErr = fmt.Errorf("libzmq not found by pkg-config (apt-get install libzmq3-dev pkg-config): %v", err)
			return
		}
		peerBin = filepath.Join(tmpDir, "zmqpeer")
		args := append([]string{"-O2", "-o", peerBin, "peer/zmqpeer.c"}, strings.Fields(string(flags))...)
		args = append(args, "-lpthread")
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			peerErr = fmt.Errorf("building the libzmq peer: %v\n%s", err, out)
		}
	})
	return peerBin, peerErr
}

// requirePeer skips (or, under CI, fails) when no libzmq peer can be built.
func requirePeer(t *testing.T) string { return require(t, "libzmq", buildPeer) }

// require is ztest.Require: what find finds, or a skip (a failure under CI).
func require(t *testing.T, what string, find func() (string, error)) string {
	t.Helper()
	return ztest.Require(t, what, find)
}

// peer is one libzmq socket in a child process.
type peer struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func newPeer(t *testing.T, typ string, opts ...string) *peer {
	t.Helper()
	bin := requirePeer(t)
	cmd := exec.Command(bin)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(p.quit)
	p.ok("socket " + typ)
	for _, o := range opts {
		p.ok("opt " + o)
	}
	return p
}

func (p *peer) quit() {
	if p.cmd == nil {
		return
	}
	fmt.Fprintln(p.in, "quit")
	p.in.Close()
	p.cmd.Wait()
	p.cmd = nil
}

func (p *peer) do(line string) string {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.in, line); err != nil {
		p.t.Fatalf("peer: %v", err)
	}
	resp, err := p.out.ReadString('\n')
	if err != nil {
		p.t.Fatalf("peer after %.40q: %v", line, err)
	}
	return strings.TrimSuffix(resp, "\n")
}

func (p *peer) ok(line string) string {
	p.t.Helper()
	resp := p.do(line)
	if resp != "ok" && !strings.HasPrefix(resp, "ok ") {
		p.t.Fatalf("libzmq peer: %.40q -> %s", line, resp)
	}
	return strings.TrimPrefix(strings.TrimPrefix(resp, "ok"), " ")
}

func enc(frames []string) string {
	var b strings.Builder
	for i, f := range frames {
		if i > 0 {
			b.WriteByte(' ')
		}
		if f == "" {
			b.WriteByte('-')
		} else {
			b.WriteString(hex.EncodeToString([]byte(f)))
		}
	}
	return b.String()
}

func (p *peer) bind(ep string) string { return p.ok("bind " + ep) }
func (p *peer) connect(ep string)     { p.ok("connect " + ep) }
func (p *peer) send(frames ...string) { p.t.Helper(); p.ok("send " + enc(frames)) }
func (p *peer) sub(topic string)      { p.ok("sub " + enc([]string{topic})) }
func (p *peer) unsub(topic string)    { p.ok("unsub " + enc([]string{topic})) }
func (p *peer) poke()                 { p.ok("poke") }

// recv returns the next message, or ok=false on the peer's receive timeout.
func (p *peer) recv() (frames []string, ok bool) {
	p.t.Helper()
	resp := p.do("recv")
	if strings.HasPrefix(resp, "err") {
		return nil, false
	}
	fields := strings.Fields(strings.TrimPrefix(resp, "msg"))
	for _, f := range fields {
		if f == "-" {
			frames = append(frames, "")
			continue
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			p.t.Fatalf("peer output %q: %v", resp, err)
		}
		frames = append(frames, string(b))
	}
	return frames, true
}

func (p *peer) expect(want ...string) {
	p.t.Helper()
	got, ok := p.recv()
	if !ok {
		p.t.Fatalf("libzmq %s: nothing received, want %.60q", "peer", want)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		p.t.Fatalf("libzmq peer received %.80q, want %.80q", got, want)
	}
}
