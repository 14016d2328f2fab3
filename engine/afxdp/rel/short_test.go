package rel

import (
	"bytes"
	"errors"
	"testing"
)

// TestShortData: with Config.ShortData a DATA sent with nothing in flight
// before it goes with the 20-byte short header (SDATA) and is delivered
// like a full one; one sent while another is in flight, and every
// retransmission, carries the full header; a duplicate SDATA is a
// duplicate; an SDATA beyond the next in order is a protocol error; Reset
// does not answer one; without ShortData nothing changes.
func TestShortData(t *testing.T) {
	msg := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64) }
	read := func(t *testing.T, c *Conn, want []byte) {
		t.Helper()
		got := make([]byte, 256)
		if n := c.Read(got); !bytes.Equal(got[:n], want) {
			t.Fatalf("read %d bytes %x, want %x", n, got[:n], want)
		}
	}

	t.Run("off", func(t *testing.T) {
		a, _, now := pair(t, Config{}, Config{})
		a.Write(msg(1), now)
		out := drain(a, now)
		if len(out) != 1 || len(out[0]) != HeaderLen+64 || Type(out[0][1]) != DATA {
			t.Fatalf("without ShortData: %d datagrams, first %d bytes of type %v; want one DATA of %d", len(out), len(out[0]), Type(out[0][1]), HeaderLen+64)
		}
	})

	t.Run("request-reply", func(t *testing.T) {
		cfg := Config{ShortData: true}
		a, b, now := pair(t, cfg, cfg)
		// Request and reply, each alone: SDATA both ways, the reply
		// acknowledging the request.
		for i := range 3 {
			a.Write(msg(i), now)
			out := drain(a, now)
			if len(out) != 1 || len(out[0]) != ShortHeaderLen+64 || Type(out[0][1]) != SDATA || !Last(out[0]) {
				t.Fatalf("request %d: %d datagrams, first %d bytes of type %v; want one SDATA of %d marked last", i, len(out), len(out[0]), Type(out[0][1]), ShortHeaderLen+64)
			}
			if typ, dst, _, err := Peek(out[0]); err != nil || typ != DATA || dst != b.local {
				t.Fatalf("Peek of an SDATA: %v %d %v", typ, dst, err)
			}
			if err := b.Input(out[0], now); err != nil {
				t.Fatal(err)
			}
			read(t, b, msg(i))
			b.Write(msg(100+i), now)
			back := drain(b, now)
			if len(back) != 1 || Type(back[0][1]) != SDATA {
				t.Fatalf("reply %d: %d datagrams, first of type %v; want one SDATA", i, len(back), Type(back[0][1]))
			}
			if err := a.Input(back[0], now); err != nil {
				t.Fatal(err)
			}
			if a.sndUna != a.sndNxt {
				t.Fatalf("request %d not acknowledged by the reply", i)
			}
			read(t, a, msg(100+i))
			// The reply, delivered again, is a duplicate and nothing else.
			dups := a.Stats().DuplicatesReceived
			if err := a.Input(back[0], now); err != nil || a.Stats().DuplicatesReceived != dups+1 || a.Readable() != 0 {
				t.Fatalf("duplicate SDATA: %v, duplicates %d → %d, readable %d", err, dups, a.Stats().DuplicatesReceived, a.Readable())
			}
			// Reset has no source id to answer.
			if n := Reset(make([]byte, 64), back[0]); n != 0 {
				t.Fatalf("Reset answered an SDATA (%d bytes)", n)
			}
			now += 10 * us
			drain(a, now)
			drain(b, now)
		}
	})

	t.Run("in flight", func(t *testing.T) {
		cfg := Config{ShortData: true}
		a, b, now := pair(t, cfg, cfg)
		a.Write(msg(1), now)
		first := drain(a, now)
		a.Write(msg(2), now)
		second := drain(a, now)
		if len(first) != 1 || Type(first[0][1]) != SDATA || len(second) != 1 || Type(second[0][1]) != DATA {
			t.Fatalf("types %v then %v; want SDATA, then DATA while the first is in flight", Type(first[0][1]), Type(second[0][1]))
		}
		// The first is lost: the second arrives out of order, the NAK
		// brings the first back as a full DATA retransmission.
		if err := b.Input(second[0], now); err != nil {
			t.Fatal(err)
		}
		nak := drain(b, now)
		now += 100 * us
		for _, d := range nak {
			if err := a.Input(d, now); err != nil {
				t.Fatal(err)
			}
		}
		retx := drain(a, now)
		if len(retx) != 1 || Type(retx[0][1]) != DATA || retx[0][2]&flagRetx == 0 {
			t.Fatalf("retransmission: %d datagrams, first of type %v flags %#x; want one full DATA", len(retx), Type(retx[0][1]), retx[0][2])
		}
		if err := b.Input(retx[0], now); err != nil {
			t.Fatal(err)
		}
		read(t, b, append(msg(1), msg(2)...))
		// The lost SDATA turning up late is a duplicate.
		if err := b.Input(first[0], now); err != nil || b.State() != Established {
			t.Fatalf("late SDATA: %v, state %v", err, b.State())
		}
	})

	t.Run("beyond the next in order", func(t *testing.T) {
		cfg := Config{ShortData: true}
		a, b, now := pair(t, cfg, cfg)
		d := make([]byte, ShortHeaderLen+10)
		putShort(d, &header{dst: b.local, seq: b.rcvSeq + 1, ack: b.sndNxt, wnd: 4096})
		_ = a
		b.Input(d, now)
		if b.State() != Failed || !errors.Is(b.Err(), ErrProtocol) {
			t.Fatalf("SDATA beyond the next in order: state %v, err %v; want Failed with ErrProtocol", b.State(), b.Err())
		}
	})

	t.Run("malformed", func(t *testing.T) {
		_, b, now := pair(t, Config{}, Config{})
		for _, d := range [][]byte{
			{Version, byte(SDATA)},
			make([]byte, ShortHeaderLen-1),
			make([]byte, ShortHeaderLen), // no payload
		} {
			if len(d) > 1 {
				d[0], d[1] = Version, byte(SDATA)
			}
			if err := b.Input(d, now); !errors.Is(err, ErrProtocol) || b.State() != Established {
				t.Fatalf("%d-byte SDATA: %v, state %v", len(d), err, b.State())
			}
		}
		d := make([]byte, ShortHeaderLen+1)
		putShort(d, &header{flags: flagRetx, dst: b.local, seq: b.rcvSeq})
		if err := b.Input(d, now); !errors.Is(err, ErrProtocol) {
			t.Fatalf("SDATA marked as a retransmission: %v", err)
		}
	})
}

// TestShortDataUnderLoss: the loss models of TestMessages and TestTransfer
// with ShortData on both ends: every byte once, in order.
func TestShortDataUnderLoss(t *testing.T) {
	cfg := Config{ShortData: true}
	for _, lm := range lossModels {
		if lm.name != "loss10%" && lm.name != "reorder-dup" && lm.name != "everything" {
			continue
		}
		t.Run(lm.name, func(t *testing.T) {
			s := newSim(t, testSeed(t), cfg, cfg, lm.m, lm.m)
			ab := newStream(0, 50_000*64, 64, 0)
			ba := newStream(1, 50_000*64, 64, 0)
			s.app = func(s *sim) {
				ab.perStep = 1 + s.rng.IntN(3)
				ba.perStep = 1 + s.rng.IntN(3)
				ab.write(s)
				ba.write(s)
				ab.readAll(s)
				ba.readAll(s)
			}
			s.run(60e9, func() bool { return ab.done() && ba.done() })
			ab.check(t)
			ba.check(t)
			logStats(t, s)
			var short int
			for _, c := range s.c {
				short += int(c.stats.ShortSent)
			}
			if short == 0 {
				t.Fatal("no SDATA sent: the test did not exercise it")
			}
			closeBoth(t, s)
		})
	}
}
