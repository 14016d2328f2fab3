package zmtp

import (
	"bytes"
	"testing"
)

// The CURVE fuzz targets feed arbitrary command data to each parser in the
// state that expects it, after a real handshake up to that point: nothing
// may panic, and nothing forged may be accepted.

func FuzzZ85Decode(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID")
	f.Add("#####")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Z85Decode(s)
		if err != nil {
			return
		}
		again, err := Z85Encode(b)
		if err != nil || again != s {
			t.Fatalf("round trip %q -> %q (%v)", s, again, err)
		}
	})
}

// curveSteps runs a handshake between fresh keys and returns the wire
// commands in order (HELLO, WELCOME, INITIATE, READY) and both sides, the
// server just before the command stepsBefore.
func curveHandshakeUpTo(t testing.TB, step int) (hs, hc *Handshake, cmds [][]byte) {
	srv, cli := newKeys(t), newKeys(t)
	sc, cc := curvePair(t, srv, cli, srv.pub)
	hs, hc = NewHandshake(sc), NewHandshake(cc)
	hs.Start(cc.Greeting())
	out, err := hc.Start(sc.Greeting())
	if err != nil {
		t.Fatal(err)
	}
	to := []*Handshake{hs, hc}
	for i := 0; len(out) > 0 && i < 4; i++ {
		hd, _ := ParseHeader(out, 0)
		c, _ := ParseCommand(out[hd.Len:])
		cmds = append(cmds, c.Data)
		if i == step {
			return hs, hc, cmds
		}
		if out, _, err = to[i%2].OnCommand(c); err != nil {
			t.Fatal(err)
		}
	}
	return hs, hc, cmds
}

func fuzzCurveStep(f *testing.F, step int, name string) {
	// One real handshake up to the step; each input gets a copy of it.
	hs, hc, cmds := curveHandshakeUpTo(f, step)
	h0 := []*Handshake{hs, hc}[step%2]
	f.Add(cmds[step])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, len(cmds[step])))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := cloneHandshake(h0)
		_, done, err := h.OnCommand(Command{Name: name, Data: data})
		if err == nil && step != 0 && !bytes.Equal(data, cmds[step]) {
			// Only the genuine command of this handshake may pass.
			t.Fatalf("%s accepted forged data (done %v)", name, done)
		}
	})
}

// cloneHandshake copies a handshake in progress (its configuration is
// shared, read-only).
func cloneHandshake(h *Handshake) *Handshake {
	c := *h
	if h.cv != nil {
		cv := *h.cv
		c.cv = &cv
	}
	return &c
}

func FuzzCurveHello(f *testing.F)    { fuzzCurveStep(f, 0, CmdHello) }
func FuzzCurveWelcome(f *testing.F)  { fuzzCurveStep(f, 1, CmdWelcome) }
func FuzzCurveInitiate(f *testing.F) { fuzzCurveStep(f, 2, CmdInitiate) }
func FuzzCurveReady(f *testing.F)    { fuzzCurveStep(f, 3, CmdReady) }

func FuzzCurveMessage(f *testing.F) {
	var key [32]byte
	key[0] = 1
	c, _ := NewCurveCodecForTest(key)
	frame := c.Seal(nil, []byte{CurveMore, 'h', 'i'})
	f.Add(frame[2+8:])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := NewCurveCodecForTest(key)
		genuine := cli.Seal(nil, []byte{CurveMore, 'h', 'i'})[2+8:]
		plain, err := srv.Open(nil, data)
		if err == nil && !bytes.Equal(data, genuine) {
			t.Fatalf("forged MESSAGE opened: %x", plain)
		}
		_, _, _ = ParseMessage(data)
	})
}

func FuzzCurveError(f *testing.F) {
	var errorStates []*Handshake
	for step := 0; step < 4; step++ {
		hs, hc, _ := curveHandshakeUpTo(f, step)
		errorStates = append(errorStates, []*Handshake{hs, hc}[step%2])
	}
	f.Add([]byte{3, '4', '0', '0'})
	f.Add([]byte{200})
	f.Fuzz(func(t *testing.T, data []byte) {
		reason, err := ParseError(data)
		if err == nil && len(reason) > 255 {
			t.Fatal("reason too long")
		}
		for step, h0 := range errorStates {
			h := cloneHandshake(h0)
			if _, done, err := h.OnCommand(Command{Name: CmdError, Data: data}); err == nil || done {
				t.Fatalf("ERROR did not end the handshake at step %d", step)
			}
		}
	})
}
