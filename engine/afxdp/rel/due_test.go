package rel

import "testing"

// TestDue: Due is true exactly when Poll has something to send at once:
// not when idle, after data arrives (the ack is pending), not once polled,
// and again when a Read reopens a window that had closed (the STATUS
// announcing it), without a clock.
func TestDue(t *testing.T) {
	const win = 4096
	a, b, now := pair(t, Config{}, Config{RecvWindow: win})
	if a.Due() || b.Due() {
		t.Fatalf("idle pair: Due %v %v", a.Due(), b.Due())
	}
	// Fill B's window; B acknowledges, then nothing is due.
	if n := a.Write(make([]byte, win), now); n != win {
		t.Fatalf("wrote %d", n)
	}
	if !a.Due() {
		t.Fatal("written data: sender not Due")
	}
	for _, d := range drain(a, now) {
		if err := b.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	if a.Due() {
		t.Fatal("everything sent: sender still Due")
	}
	if !b.Due() {
		t.Fatal("data received: the ack is not Due")
	}
	drain(b, now)
	if b.Due() {
		t.Fatal("acknowledged: still Due")
	}
	// The window is closed; reading it all opens it: Due without Input.
	if n := b.Read(make([]byte, win)); n != win {
		t.Fatalf("read %d", n)
	}
	if !b.Due() {
		t.Fatal("a Read that reopened the window is not Due")
	}
	out := drain(b, now)
	if len(out) != 1 || typeOf(out[0]) != STATUS {
		t.Fatalf("after the Read: %d datagrams, want one STATUS", len(out))
	}
	if b.Due() {
		t.Fatal("window announced: still Due")
	}
}
