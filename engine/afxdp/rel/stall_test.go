package rel

import (
	"testing"
	"time"
)

func TestStallDebug(t *testing.T) {
	if *seedFlag == 0 {
		t.Skip("debug only")
	}
	lm := lossModels[2].m
	s := newSim(t, testSeed(t), Config{}, Config{}, lm, lm)
	ab := newStream(0, 24<<20, 0, 0)
	ba := newStream(1, 8<<20, 0, 0)
	last := s.now
	lastRead := uint64(0)
	traced := 0
	s.app = func(s *sim) {
		ab.write(s)
		ba.write(s)
		ab.readAll(s)
		ba.readAll(s)
		if ba.read != lastRead {
			lastRead, last = ba.read, s.now
		}
		if s.now-last > 50*ms && traced == 0 {
			traced = 1
			t.Logf("stall at %v: A %s", time.Duration(s.now), s.c[0].debug())
			t.Logf("B %s", s.c[1].debug()); t.Logf("busy %v %v queue %d", time.Duration(s.link[0].busyUntil), time.Duration(s.link[1].busyUntil), len(s.q)); for _, p := range s.q { if p.to == 0 { t.Logf("queued to A at %v: %s", time.Duration(p.at), dumpDgram(p.data)) } }
			n := 0
			s.onSend = func(s *sim, from int, d []byte) {
				if n++; n < 60 {
					t.Logf("%v %d: %s", time.Duration(s.now), from, dumpDgram(d))
				}
			}
			m := 0
			s.onRecv = func(s *sim, to int, d []byte) {
				if m++; m < 60 {
					t.Logf("%v ->%d: %s", time.Duration(s.now), to, dumpDgram(d))

				}
			}
		}
	}
	s.run(60*time.Second.Nanoseconds(), func() bool { return ab.done() && ba.done() })
}
