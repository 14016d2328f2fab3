package rel

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPathDropsLargeDatagrams: a path that drops every datagram above a
// size (an MTU below the sender's: every datagram carries DF, and nothing
// tells an AF_XDP sender) while smaller ones get through. Small writes
// keep going well past DeadAfter, since each is acknowledged. Once a write
// needs full datagrams the peer still answers (acknowledgements, PINGs),
// so it is never silent; yet the sender does not stay stuck with its
// oldest datagram for ever: after DeadAfter without it getting through it
// fails with ErrPeerDead, saying so, and the socket can connect again.
func TestPathDropsLargeDatagrams(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	cfg := Config{KeepAlive: 20 * time.Millisecond, DeadAfter: 300 * time.Millisecond}
	s := newSim(t, testSeed(t), cfg, cfg, m, m)
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[1] != nil && s.c[1].State() == Established })
	const limit = 600 // bytes a datagram may have on the path
	s.link[0].drop = func(_ int, d []byte) bool { return len(d) > limit }

	// Small writes, every 10ms for three times DeadAfter: all get through.
	small := make([]byte, 100)
	end := s.now + 3*int64(cfg.DeadAfter)
	for s.now < end {
		s.c[0].Write(small, s.now)
		next := s.now + 10*ms
		s.wake = next
		s.run(20*ms, func() bool { return s.now >= next })
	}
	s.wake = 0
	if st := s.c[0].State(); st != Established {
		t.Fatalf("small writes over the path: %v (%v)", st, s.c[0].Err())
	}
	if st := s.c[0].Stats(); st.RetransmitsRTO+st.RetransmitsNAK+st.RetransmitsTLP != 0 {
		t.Fatalf("small writes were resent (%+v): the path was not meant to drop them", st)
	}

	// A write that fills datagrams: none gets through.
	wrote := s.now
	s.c[0].Write(make([]byte, 4000), s.now)
	s.run(10*int64(cfg.DeadAfter), func() bool { return s.c[0].State() == Failed })
	err := s.c[0].Err()
	if !errors.Is(err, ErrPeerDead) || !strings.Contains(err.Error(), "unacknowledged") {
		t.Fatalf("state %v, err %v: want a failure naming the datagram unacknowledged", s.c[0].State(), err)
	}
	if took := s.now - wrote; took < int64(cfg.DeadAfter) || took > int64(cfg.DeadAfter)+int64(100*time.Millisecond) {
		t.Errorf("failed %v after the write; want DeadAfter (%v), to within MaxRTO (100ms)", time.Duration(took), cfg.DeadAfter)
	}
}
