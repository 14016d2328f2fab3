package core

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"
)

// Agent is a connection's engine as something to drive, after Aeron's
// Agent: DoWork reads and writes what the connection can take without
// blocking and runs due timers; it returns how much it did. The same agent
// runs on an I/O worker or, in invoker mode, inside the goroutine that
// calls Send and Recv. An agent that fails reports it to its engine by
// itself; after that DoWork and PumpOut do nothing.
type Agent interface {
	DoWork() int
	// PumpOut writes what is queued, without reading: Send's step in
	// invoker mode, so a send costs one write system call.
	PumpOut()
}

// Spinner is an Agent that can wait for input by itself: SpinWork is
// DoWork, except that while nothing arrives and no output waits it reads
// again, up to reads times, before it returns. A spinning caller driving
// a socket's only connection uses it, so that the time between two reads
// is a system call's return and entry, not a round of the socket's loop:
// a message arriving during a read that found nothing waits for the next
// read, and the loop in between adds to its latency.
type Spinner interface {
	SpinWork(reads int) int
}

// spinReads is how many reads a SpinWork makes at most, about 5 µs here
// over TCP and 10 µs over xdp:// (whose spinning read waits on its ring for
// up to ~1.25 µs first): the longest the socket's other inputs (inproc
// pipes, Close) wait for a look while its only connection is quiet.
const spinReads = 8

// Idle is how a loop with nothing to do waits.
type Idle uint8

const (
	// IdleBlock parks in the network poller (or on a channel): no CPU
	// spent while idle, a wake-up's latency when work comes. The default.
	IdleBlock Idle = iota
	// IdleBackoff spins a while, then yields, then sleeps for growing
	// periods up to a cap (Aeron's BackoffIdleStrategy).
	IdleBackoff
	// IdleSpin never gives the CPU up: the lowest latency, one core per
	// spinning loop.
	IdleSpin
)

func (i Idle) String() string {
	switch i {
	case IdleBlock:
		return "block"
	case IdleBackoff:
		return "backoff"
	case IdleSpin:
		return "spin"
	}
	return fmt.Sprintf("Idle(%d)", uint8(i))
}

// ParseIdle maps "block", "backoff" and "spin" to an Idle.
func ParseIdle(s string) (Idle, error) {
	for _, i := range []Idle{IdleBlock, IdleBackoff, IdleSpin} {
		if i.String() == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("zmqx: idle strategy %q is not block, backoff or spin", s)
}

// idler is one loop's idle state.
type idler struct {
	kind  Idle
	count int
	park  time.Duration
	// yield makes IdleSpin, and IdleBackoff's spinning phase, yield the
	// processor on every empty round: set for I/O workers that would
	// otherwise hold every P the process has.
	yield bool
}

// Backoff parameters: spins, then yields, then parks from minPark doubling
// to maxPark.
const (
	backoffSpins = 2000
	backoffYield = 100
	minPark      = time.Microsecond
	maxPark      = time.Millisecond
)

// idle waits a little according to the strategy after a round that did
// no work.
func (d *idler) idle() {
	switch d.kind {
	case IdleSpin:
		if d.yield {
			runtime.Gosched()
		}
		return
	case IdleBackoff:
		d.count++
		switch {
		case d.count <= backoffSpins:
			if d.yield {
				runtime.Gosched()
			}
		case d.count <= backoffSpins+backoffYield:
			runtime.Gosched()
		default:
			if d.park == 0 {
				d.park = minPark
			}
			time.Sleep(d.park)
			d.park = min(2*d.park, maxPark)
		}
	default:
		runtime.Gosched()
	}
}

// reset starts the backoff over after a round that did work.
func (d *idler) reset() { d.count, d.park = 0, 0 }

// worker is an I/O worker: a goroutine locked to an OS thread (and pinned
// to a CPU when configured) that drives the agents given to it with the
// runtime's idle strategy.
type worker struct {
	mu     sync.Mutex
	agents []Agent
	gen    int // bumped on every change, so the loop rereads the list
	stop   chan struct{}
	done   chan struct{}
}

func (r *Runtime) startWorker(cpu int, yield bool) *worker {
	w := &worker{stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan struct{})
	go w.run(r, cpu, idler{kind: r.idle, yield: yield}, ready)
	<-ready
	return w
}

func (w *worker) run(r *Runtime, cpu int, d idler, ready chan<- struct{}) {
	defer close(w.done)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cpu >= 0 && r.pin != nil {
		if err := r.pin(cpu); err != nil {
			r.log.Warn("I/O worker not pinned", "cpu", cpu, "err", err)
		}
	}
	close(ready)
	var (
		local []Agent
		gen   = -1
	)
	for n := 0; ; n++ {
		if n&63 == 0 {
			select {
			case <-w.stop:
				return
			default:
			}
			w.mu.Lock()
			if w.gen != gen {
				local = append(local[:0], w.agents...)
				gen = w.gen
			}
			w.mu.Unlock()
		}
		work := 0
		for _, a := range local {
			work += a.DoWork()
		}
		if work > 0 {
			d.reset()
		} else if len(local) == 0 {
			// Nothing to drive: sleep rather than spin on an empty list.
			select {
			case <-w.stop:
				return
			case <-time.After(time.Millisecond):
			}
		} else {
			d.idle()
		}
	}
}

func (w *worker) add(a Agent) {
	w.mu.Lock()
	w.agents = append(w.agents, a)
	w.gen++
	w.mu.Unlock()
}

// remove takes a out of the loop and returns once the loop cannot be
// inside a's DoWork any more.
func (w *worker) remove(a Agent) {
	w.mu.Lock()
	for i, x := range w.agents {
		if x == a {
			w.agents = append(w.agents[:i], w.agents[i+1:]...)
			break
		}
	}
	w.gen++
	w.mu.Unlock()
	// The loop rereads the list every 64 rounds; a round-trip through
	// the loop's own goroutine would need a channel in the hot loop, so
	// wait on a barrier agent instead.
	b := &barrier{c: make(chan struct{})}
	w.add(b)
	<-b.c
	w.mu.Lock()
	for i, x := range w.agents {
		if x == Agent(b) {
			w.agents = append(w.agents[:i], w.agents[i+1:]...)
			break
		}
	}
	w.gen++
	w.mu.Unlock()
}

// barrier is an agent whose first DoWork proves that the loop has reread
// its list since the barrier was added.
type barrier struct {
	c    chan struct{}
	once sync.Once
}

func (b *barrier) DoWork() int { b.once.Do(func() { close(b.c) }); return 0 }
func (b *barrier) PumpOut()    {}

// pickWorker returns the worker for a new connection, starting the
// workers on first use: round-robin over Config.Workers of them.
func (r *Runtime) pickWorker(local net.Addr) *worker {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if r.workers == nil {
		n := max(r.nworkers, 1)
		cpus := r.cpus
		if len(cpus) == 0 && r.place != nil && local != nil {
			// Automatic placement: near the NIC this connection uses.
			cpus = r.place(local)
			if len(cpus) > 0 {
				r.log.Info("I/O workers placed by the NIC's NUMA node", "local", local.String(), "cpus", cpus)
			}
		}
		// Spinning workers that hold every processor the process has
		// leave none to the goroutines that send and receive, which then
		// run only when the scheduler preempts a worker (every 10 ms):
		// such workers yield on every empty round instead, and the
		// configuration is reported. IdleBackoff's workers too, while
		// they spin: that is 2 000 empty rounds, a system call each, which
		// kept the application from running for milliseconds (a REQ/REP
		// round trip over tcp:// took 6.4 ms with one processor a
		// process).
		yield := r.idle != IdleBlock && n >= runtime.GOMAXPROCS(0)
		if yield {
			r.log.Warn("the spinning I/O workers would hold every processor (GOMAXPROCS) and starve the application; they yield on every empty round instead. Use Invoker or more CPUs for spinning without that cost",
				"idle", r.idle.String(), "workers", n, "gomaxprocs", runtime.GOMAXPROCS(0))
		}
		for i := range n {
			cpu := -1
			if len(cpus) > 0 {
				cpu = cpus[i%len(cpus)]
			}
			r.workers = append(r.workers, r.startWorker(cpu, yield))
		}
	}
	w := r.workers[r.nextWorker%len(r.workers)]
	r.nextWorker++
	return w
}

func (r *Runtime) stopWorkers() {
	r.wmu.Lock()
	ws := r.workers
	r.workers = nil
	r.wmu.Unlock()
	for _, w := range ws {
		close(w.stop)
		<-w.done
	}
}
