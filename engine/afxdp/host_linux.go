//go:build linux

package afxdp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/internal/nexthop"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/nic"
	"github.com/zmqx/zmqx/xdp"
)

// drainTimeout bounds how long closing the engine waits for its
// connections to deliver what they hold.
const drainTimeout = 10 * time.Second

// maxRTO caps the channels' retransmission backoff.
const maxRTO = 10 * time.Millisecond

// maxPending bounds the connections a listener has accepted that are not
// yet established (each holds its channel's buffers).
const maxPending = 64

// synTimeout is how long a connect waits for the peer's answer over AF_XDP
// before it tries TCP.
const synTimeout = time.Second

// Frames per queue: RX and TX pools of the queue's socket.
//
// The RX pool is small on purpose. The FILL ring is a FIFO kept full from
// the pool, so the kernel receives into each frame once per rxFrames
// frames: with 2048 (8 MiB) every frame, its page and the kernel's
// per-frame buffer state were cold by the time they came round again, and
// copying a packet in (the kernel in copy mode, inside the sender's
// transmit) and reading it out cost cache and TLB misses on every
// datagram. With 256 (1 MiB, as bench/cmd/xdp_floor uses) they stay in
// the caches: measured on the veth bench, REQ/REP p50 -1 µs (about 15 %)
// and p99 lower, throughput unchanged. A channel's receive window is half
// the pool (below).
const (
	rxFrames = 256
	txFrames = 2048
)

// frameSize is the Umem's frame size. The kernel writes a received packet
// XDP_PACKET_HEADROOM (xdpHeadroom) bytes into its frame, so a frame
// receives at most frameSize-xdpHeadroom bytes of Ethernet frame; a longer
// one is dropped at the socket (counted as RxDropped).
const (
	frameSize   = 4096
	xdpHeadroom = 256
)

// host is the engine on one interface: the steering program, one Umem, an
// AF_XDP socket and a worker per queue, and the channels demultiplexed by
// their local channel id.
type host struct {
	t       *Transport
	ifindex int
	iface   string
	mac     [6]byte
	mtu     int
	relc    rel.Config
	srcs    map[netip.Addr]bool // addresses found on the interface (Transport.mu)

	steer *bpf.Steering
	umem  *xdp.Umem
	qs    []*queue
	coal  *nic.Coalescing

	chans atomic.Pointer[map[uint32]*channel] // copy on write, read by workers

	mu        sync.Mutex // guards what follows and writes to chans
	syns      map[synKey]*channel
	listeners map[uint16]*listener
	served    map[netip.AddrPort]*reservation // bound ports, while a listener or a channel it accepted holds them
	clients   map[netip.Addr]*reservation     // source ports of connections we dial
	closed    bool
	nextQ     int
	emptied   chan struct{} // signalled when the last channel goes

	wg       sync.WaitGroup // the queue workers
	removing sync.WaitGroup // channels being taken out of the tables
}

// synKey finds the channel a repeated SYN belongs to.
type synKey struct {
	from netip.AddrPort
	id   uint32
}

// reservation holds a UDP port in the kernel's table for as long as the
// engine steers it, so no kernel socket can take it meanwhile.
type reservation struct {
	fd     int
	port   uint16
	refs   int            // the listener and the channels it accepted, under host.mu
	served netip.AddrPort // its key in host.served, for a bound port
}

func (t *Transport) listen(e endpoint, o *core.Options) (core.Listener, error) {
	h, err := t.hostFor(e.Iface, e.Addr.Addr())
	if err != nil {
		return nil, err
	}
	return h.listen(e, o)
}

// neighbourWait bounds a connect's wait for the next hop's MAC: the kernel's
// own resolution gives up after three probes a second apart, by default.
const neighbourWait = 3 * time.Second

func (t *Transport) dial(ctx context.Context, e endpoint, o *core.Options) (net.Conn, error) {
	// The route needs no privileges; the engine on its interface does, and
	// is what tells whether AF_XDP can be used here at all. Resolving the
	// next hop's MAC (which may ask the kernel to ARP) comes after.
	hop, err := nexthop.Route(e.Addr.Addr())
	if err != nil {
		if errors.Is(err, nexthop.ErrNotSupported) {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if errors.Is(err, nexthop.ErrLocal) {
			// A peer on this host: frames an AF_XDP socket sends leave
			// through the NIC and never come back to this host's own
			// sockets, so TCP (which an xdp:// bind listens on too)
			// carries it.
			return nil, fmt.Errorf("%w: %s is an address of this host, which AF_XDP does not reach",
				ErrUnavailable, e.Addr.Addr())
		}
		return nil, fmt.Errorf("afxdp: route to %s: %w", e.Addr.Addr(), err)
	}
	if e.Iface != "" && e.Iface != hop.Iface {
		return nil, fmt.Errorf("afxdp: %s is reached through %s, not %s", e.Addr.Addr(), hop.Iface, e.Iface)
	}
	h := t.hostAt(hop.Ifindex, hop.Src)
	if h == nil {
		if h, err = t.hostFor(hop.Iface, hop.Src); err != nil {
			return nil, err
		}
	}
	// Bounded as the kernel bounds a TCP connect's (EHOSTUNREACH once its
	// probes go unanswered): the socket then reports it and retries,
	// rather than waiting in silence on a host that is not there.
	nctx, cancel := context.WithTimeout(ctx, neighbourWait)
	hop.DstMAC, err = nexthop.Neighbour(nctx, hop.Ifindex, hop.NextHop)
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("afxdp: next hop %s for %s: no answer to its resolution within %v: %w",
				hop.NextHop, e.Addr.Addr(), neighbourWait, err)
		}
		return nil, fmt.Errorf("afxdp: next hop %s for %s: %w", hop.NextHop, e.Addr.Addr(), err)
	}
	relc := h.relFor(o)
	if err := fitRoute(&relc, hop.MTU); err != nil {
		return nil, fmt.Errorf("%w: the route to %s: %v", ErrUnavailable, e.Addr.Addr(), err)
	}
	return h.dial(ctx, e, hop, relc)
}

// minMSS is the smallest MSS the engine works with: below it, headers
// would be a large share of every datagram, and TCP serves better.
const minMSS = 256

// mssFor is the stream bytes a datagram of mtu bytes (IPv4 and UDP
// headers, the channel's, then data) carries.
func mssFor(mtu int) int { return mtu - 20 - 8 - rel.HeaderLen }

// setMSS makes mss the largest datagram c's channel sends and receives.
// Its window is half the RX ring in datagrams of that size: more in flight
// than the ring holds would be dropped at the socket and retransmitted
// whenever the reader falls behind.
func setMSS(c *rel.Config, mss int) { c.MSS, c.RecvWindow = mss, rxFrames/2*mss }

// fitRoute cuts c's MSS to a route MTU below the interface's (an MTU set
// on the route, as `ip route ... mtu N` does). Every datagram carries DF,
// and no "fragmentation needed" ever reaches an AF_XDP sender (nor, as seen
// on the router test network, does the kernel learn a path MTU from it for
// a later route lookup), so a datagram too large for the path would be
// dropped on the way each time it is sent. The channel's MSS is also what
// the peer learns in the handshake, and each side sends at most the smaller
// of the two, so the cut holds both ways.
func fitRoute(c *rel.Config, mtu int) error {
	mss := mssFor(mtu)
	if mtu <= 0 || mss >= c.MSS {
		return nil
	}
	if mss < minMSS {
		return fmt.Errorf("an MTU of %d leaves datagrams too small", mtu)
	}
	setMSS(c, mss)
	return nil
}

// relFor is the rel.Config of the channels of a socket with options o: its
// SendBuffer, when set, is the channel's send ring (what SO_SNDBUF is to
// a TCP connection: bytes kept until acknowledged), instead of rel's 4 MiB,
// and sizes the records with it; at least two datagrams' worth.
func (h *host) relFor(o *core.Options) rel.Config {
	c := h.relc
	if o != nil && o.SendBuffer > 0 {
		c.SendBuffer = max(o.SendBuffer, 2*c.MSS)
	}
	return c
}

// hostAt returns the engine on interface ifindex if it runs and hostFor
// has found src to be an address of it: a connect then needs no lookup of
// the interface and its addresses (two netlink dumps, ~80µs on the veth
// bench), as the route gave both.
func (t *Transport) hostAt(ifindex int, src netip.Addr) *host {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h := t.hosts[ifindex]; h != nil && h.srcs[src] {
		return h
	}
	return nil
}

// hostFor returns the engine on the interface named iface (or the one that
// has addr, when iface is ""), starting it on first use. Failures to start
// wrap ErrUnavailable: they are why an endpoint falls back to TCP.
func (t *Transport) hostFor(iface string, addr netip.Addr) (*host, error) {
	var ifc *net.Interface
	var err error
	if iface != "" {
		ifc, err = net.InterfaceByName(iface)
	} else {
		ifc, err = interfaceWith(addr)
	}
	if err != nil {
		return nil, fmt.Errorf("afxdp: %w", err)
	}
	if !hasAddr(ifc, addr) {
		return nil, fmt.Errorf("afxdp: %s is not an address of %s", addr, ifc.Name)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if h := t.hosts[ifc.Index]; h != nil {
		h.srcs[addr] = true
		return h, nil
	}
	h, err := t.startHost(ifc)
	if err != nil {
		return nil, fmt.Errorf("%w on %s: %w", ErrUnavailable, ifc.Name, err)
	}
	h.srcs = map[netip.Addr]bool{addr: true}
	t.hosts[ifc.Index] = h
	all := make([]*host, 0, len(t.hosts))
	for _, h := range t.hosts {
		all = append(all, h)
	}
	t.polled.Store(&all)
	return h, nil
}

// PollIdle implements core.Poller: a round of every queue no one else is
// running, for an invoker that has no connection to drive yet. A
// connection being made (a peer's SYN, the SYNACK, its ZMTP handshake
// before the socket drives it) is then taken in by the caller's goroutine
// instead of waiting for the queue's worker to be scheduled.
func (t *Transport) PollIdle() {
	if hs := t.polled.Load(); hs != nil {
		for _, h := range *hs {
			h.pollFor(nil, nil, false)
		}
	}
}

func interfaceWith(addr netip.Addr) (*net.Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		if hasAddr(&ifs[i], addr) {
			return &ifs[i], nil
		}
	}
	return nil, fmt.Errorf("no interface has the address %s", addr)
}

func hasAddr(ifc *net.Interface, addr netip.Addr) bool {
	as, err := ifc.Addrs()
	if err != nil {
		return false
	}
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == addr {
				return true
			}
		}
	}
	return false
}

// queueCount counts the interface's RX queues in sysfs.
func queueCount(iface string) int {
	m, _ := filepath.Glob("/sys/class/net/" + iface + "/queues/rx-*")
	return max(len(m), 1)
}

func attachMode(s string) (bpf.AttachMode, error) {
	switch s {
	case "", "auto":
		return bpf.AttachAuto, nil
	case "native":
		return bpf.AttachNative, nil
	case "generic":
		return bpf.AttachGeneric, nil
	}
	return 0, fmt.Errorf("afxdp: attach mode %q: want auto, native or generic", s)
}

func (t *Transport) startHost(ifc *net.Interface) (h *host, err error) {
	began := time.Now()
	if len(ifc.HardwareAddr) != 6 {
		return nil, fmt.Errorf("not an Ethernet interface")
	}
	mode, err := attachMode(t.c.Attach)
	if err != nil {
		return nil, err
	}
	h = &host{
		t: t, ifindex: ifc.Index, iface: ifc.Name, mtu: ifc.MTU,
		syns: map[synKey]*channel{}, listeners: map[uint16]*listener{}, served: map[netip.AddrPort]*reservation{},
		clients: map[netip.Addr]*reservation{},
		emptied: make(chan struct{}, 1),
	}
	copy(h.mac[:], ifc.HardwareAddr)
	empty := map[uint32]*channel{}
	h.chans.Store(&empty)
	nq := queueCount(ifc.Name)
	if t.c.Queues > 0 {
		nq = min(nq, t.c.Queues)
	}
	// The datagram must fit the MTU and what one RX frame takes after the
	// kernel's headroom: with a jumbo MTU, the frame decides (an MSS of
	// 3 766 bytes).
	mss := mssFor(min(h.mtu, frameSize-xdpHeadroom-14))
	if mss < minMSS {
		return nil, fmt.Errorf("MTU %d too small", h.mtu)
	}
	// A LAN's round trips are microseconds: a lost datagram's timer backs
	// off from 100µs to at most 10ms, not the 100ms a WAN would want.
	h.relc = rel.Config{MaxRTO: maxRTO, OnRecovered: t.c.OnRecovered, OnRepair: t.c.OnRepair, OnHole: t.c.OnHole}
	setMSS(&h.relc, mss)
	built := h // the named result is nil by the time a failure's defer runs
	defer func() {
		if err != nil {
			built.release()
		}
	}()
	if h.steer, err = bpf.Attach(ifc.Index, bpf.Options{Mode: mode}); err != nil {
		return nil, err
	}
	if h.umem, err = xdp.NewUmem(xdp.UmemOptions{FrameSize: frameSize, FrameCount: nq * (rxFrames + txFrames)}); err != nil {
		return nil, err
	}
	for i := range nq {
		s, err := h.umem.Open(ifc.Index, i, xdp.SocketOptions{RxFrames: rxFrames, TxFrames: txFrames})
		if err != nil {
			return nil, err
		}
		q, err := newQueue(h, i, s)
		if err != nil {
			s.Close()
			return nil, err
		}
		h.qs = append(h.qs, q)
		if err := h.steer.RegisterSocket(i, s.FD()); err != nil {
			return nil, err
		}
	}
	if c, err := nic.LowLatencyCoalescing(ifc.Name, t.c.LeaveCoalescing, nic.EthtoolCoalesce); err == nil {
		h.coal = c
		t.c.Logger.Info("afxdp: interrupt coalescing", "iface", ifc.Name, "action", c.Action)
	} else {
		t.c.Logger.Warn("afxdp: interrupt coalescing left as it is", "iface", ifc.Name, "err", err)
	}
	cpus := t.c.CPUs
	if len(cpus) == 0 && t.c.Place != nil {
		cpus = t.c.Place(ifc.Name)
	}
	for i, q := range h.qs {
		cpu := -1
		if len(cpus) > 0 {
			cpu = cpus[i%len(cpus)]
		}
		h.wg.Add(1)
		go q.run(cpu)
	}
	t.c.Logger.Info("afxdp: engine started", "iface", ifc.Name, "queues", nq,
		"attach", h.steer.Mode().String(), "copy", h.qs[0].xsk.Mode().String(), "mss", mss,
		"took", time.Since(began))
	return h, nil
}

// stats reports the steering program's counters and each queue socket's.
func (h *host) stats() (bpf.Counters, []xdp.Stats) {
	c, _ := h.steer.Counters()
	var ss []xdp.Stats
	for _, q := range h.qs {
		s, _ := q.xsk.Stats()
		ss = append(ss, s)
	}
	return c, ss
}

// close stops the workers, fails every channel, then detaches the program
// before closing the sockets and the Umem (the documented order).
func (h *host) close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ls := make([]*listener, 0, len(h.listeners))
	for _, l := range h.listeners {
		ls = append(ls, l)
	}
	h.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	// Connections closed by their sockets end in order: what they hold is
	// delivered and acknowledged before the FIN. The workers keep running
	// until then, for as long as their sockets' linger periods allow
	// (CloseWithin), and never longer than drainTimeout.
	by := time.Now().UnixNano()
	for _, c := range *h.chans.Load() {
		by = max(by, c.drainBy.Load())
	}
	timer := time.NewTimer(min(time.Until(time.Unix(0, by)), drainTimeout))
	for len(*h.chans.Load()) > 0 {
		select {
		case <-h.emptied:
			continue
		case <-timer.C:
		}
		break
	}
	timer.Stop()
	for _, q := range h.qs {
		q.stop.Store(true)
		q.wake()
	}
	h.wg.Wait()
	for _, c := range *h.chans.Load() {
		c.fail(net.ErrClosed)
	}
	h.removing.Wait() // they release ports: before the program goes
	if lg := h.t.c.Logger; lg.Enabled(context.Background(), slog.LevelDebug) {
		steer, qs := h.stats()
		lg.Debug("afxdp: engine stopped", "iface", h.iface, "steered", steer.Steered, "passed", steer.Passed, "malformed", steer.Malformed)
		for i, s := range qs {
			q := h.qs[i]
			q.mu.Lock()
			rx, tx := q.rxCount, q.txCount
			q.mu.Unlock()
			lg.Debug("afxdp: queue", "iface", h.iface, "queue", i, "rx", rx, "tx", tx, "stats", fmt.Sprintf("%+v", s))
		}
	}
	return h.release()
}

func (h *host) release() error {
	var errs []error
	if h.steer != nil {
		errs = append(errs, h.steer.Close())
	}
	for _, q := range h.qs {
		errs = append(errs, q.release())
	}
	if h.umem != nil {
		errs = append(errs, h.umem.Close())
	}
	if h.coal != nil {
		errs = append(errs, h.coal.Restore())
	}
	for _, r := range h.clients {
		unix.Close(r.fd)
	}
	return errors.Join(errs...)
}

// reserve binds a kernel UDP socket to ip:port (port 0: any) so the port is
// ours, and steers it.
func (h *host) reserve(ip netip.Addr, port uint16) (*reservation, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	sa := &unix.SockaddrInet4{Addr: ip.As4(), Port: int(port)}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EADDRINUSE) {
			return nil, fmt.Errorf("%w: udp %s:%d", core.ErrAddrInUse, ip, port)
		}
		return nil, os.NewSyscallError("bind", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("getsockname", err)
	}
	r := &reservation{fd: fd, port: uint16(got.(*unix.SockaddrInet4).Port), refs: 1}
	if err := h.steer.RegisterPort(r.port); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

// unreserve drops a reference to r (h.mu held): the port stays steered
// while a channel accepted on it lives.
func (h *host) unreserve(r *reservation) {
	if r.refs--; r.refs > 0 {
		return
	}
	if r.served.IsValid() && h.served[r.served] == r {
		delete(h.served, r.served)
	}
	h.steer.ReleasePort(r.port)
	unix.Close(r.fd)
}

// serve reserves ap for a listener (h.mu held). A port that connections a
// closed listener accepted still hold is taken over, as a TCP listener
// rebinds a port its accepted connections still use: binding again right
// after Close works, as it does over TCP.
func (h *host) serve(ap netip.AddrPort) (*reservation, error) {
	if r := h.served[ap]; r != nil && ap.Port() != 0 {
		if h.listeners[ap.Port()] != nil {
			return nil, fmt.Errorf("%w: udp %s", core.ErrAddrInUse, ap)
		}
		r.refs++
		return r, nil
	}
	r, err := h.reserve(ap.Addr(), ap.Port())
	if err != nil {
		return nil, err
	}
	r.served = netip.AddrPortFrom(ap.Addr(), r.port)
	h.served[r.served] = r
	return r, nil
}

// newID picks an unused, non-zero channel id. h.mu is held.
func (h *host) newID() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		id := binary.LittleEndian.Uint32(b[:])
		if _, used := (*h.chans.Load())[id]; id != 0 && !used {
			return id
		}
	}
}

// add publishes c in the demultiplexing table. h.mu is held.
func (h *host) add(c *channel) {
	old := *h.chans.Load()
	m := make(map[uint32]*channel, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[c.id] = c
	h.chans.Store(&m)
}

// remove takes an ended channel out of the tables.
func (h *host) remove(c *channel) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.chans.Load()
	if old[c.id] != c {
		return
	}
	m := make(map[uint32]*channel, len(old))
	for k, v := range old {
		if k != c.id {
			m[k] = v
		}
	}
	h.chans.Store(&m)
	if c.syn != (synKey{}) && h.syns[c.syn] == c {
		delete(h.syns, c.syn)
	}
	if c.resv != nil {
		h.unreserve(c.resv)
		c.resv = nil
	}
	c.accepted()
	if len(m) == 0 {
		select {
		case h.emptied <- struct{}{}:
		default:
		}
	}
}

// pickQueue spreads dialled channels over the queues.
func (h *host) pickQueue() *queue {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.qs[h.nextQ%len(h.qs)]
	h.nextQ++
	return q
}

func (h *host) dial(ctx context.Context, e endpoint, hop nexthop.Hop, relc rel.Config) (net.Conn, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, net.ErrClosed
	}
	r := h.clients[hop.Src]
	if r == nil {
		var err error
		if r, err = h.reserve(hop.Src, 0); err != nil {
			h.mu.Unlock()
			return nil, err
		}
		h.clients[hop.Src] = r
	}
	id := h.newID()
	h.mu.Unlock()

	var hdr udpframe.Header
	copy(hdr.SrcMAC[:], h.mac[:])
	copy(hdr.DstMAC[:], hop.DstMAC)
	hdr.Src = netip.AddrPortFrom(hop.Src, r.port)
	hdr.Dst = e.Addr
	c := newChannel(h, h.pickQueue(), id, hdr, rel.Dial(relc, id, nowNs()))
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, net.ErrClosed
	}
	h.add(c)
	h.mu.Unlock()
	c.home.kick(c)
	timer := time.NewTimer(synTimeout)
	defer timer.Stop()
	select {
	case <-c.estab:
		return c, nil
	case <-c.dead:
		return nil, fmt.Errorf("%w: connect %s: %w", ErrUnavailable, e.Addr, c.deadErr())
	case <-timer.C:
		// Nothing answers on the UDP port: a peer without AF_XDP (its
		// bind fell back, or it is libzmq) may still listen on TCP.
		c.abort()
		return nil, fmt.Errorf("%w: no answer over AF_XDP from %s within %v", ErrUnavailable, e.Addr, synTimeout)
	case <-ctx.Done():
		c.abort()
		return nil, ctx.Err()
	}
}

// onSyn makes a channel for a connection request to a bound port, or
// returns the channel it already made for a repeated SYN (fresh false: the
// SYN is for its Input).
func (h *host) onSyn(q *queue, fr udpframe.Header, d []byte, src uint32, now int64) (c *channel, fresh, busy bool) {
	key := synKey{fr.Src, src}
	h.mu.Lock()
	if c := h.syns[key]; c != nil {
		h.mu.Unlock()
		return c, false, false
	}
	l := h.listeners[fr.Dst.Port()]
	if l == nil || h.closed || fr.Dst.Addr() != l.e.Addr.Addr() {
		h.mu.Unlock()
		return nil, false, false
	}
	if l.pending.Load() >= maxPending {
		h.mu.Unlock()
		return nil, false, true
	}
	id := h.newID()
	relc := l.relc
	if mss, err := rel.SynMSS(d); err == nil && mss > 0 && mss < relc.MSS {
		// The client's datagrams are smaller than this side's (its route
		// or its link has a smaller MTU), and the channel takes its MSS.
		setMSS(&relc, mss)
	}
	rc, err := rel.Accept(relc, id, d, now)
	if err != nil {
		h.mu.Unlock()
		return nil, false, false
	}
	var hdr udpframe.Header
	hdr.SrcMAC, hdr.DstMAC = fr.DstMAC, fr.SrcMAC
	hdr.Src, hdr.Dst = fr.Dst, fr.Src
	c = newChannel(h, q, id, hdr, rc)
	c.syn, c.lis, c.from, c.resv = key, l, l, l.resv
	l.resv.refs++
	l.pending.Add(1)
	c.pending.Store(true)
	h.syns[key] = c
	h.add(c)
	h.mu.Unlock()
	return c, true, false
}
