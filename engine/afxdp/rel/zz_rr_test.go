package rel

import "testing"

func BenchmarkReqRep68(b *testing.B) {
	a, c, now := pair(b, Config{}, Config{})
	a.SetAckDelay(10 * us)
	c.SetAckDelay(10 * us)
	msg := make([]byte, 68)
	rd := make([]byte, 4096)
	buf := make([]byte, HeaderLen+1400)
	b.ReportAllocs()
	for b.Loop() {
		now += 2000
		a.Write(msg, a.Unstamped())
		n := a.Poll(buf, a.Now())
		a.Stamp(now)
		now += 2000
		c.Input(buf[:n], now)
		c.Read(rd)
		c.Write(msg, c.Unstamped())
		n = c.Poll(buf, c.Now())
		c.Stamp(now + 100)
		now += 2000
		a.Input(buf[:n], now)
		a.Read(rd)
	}
}
