package rel

import "fmt"

func (c *Conn) debug() string {
	s := fmt.Sprintf("una=%#x nxt=%#x unaOff=%d nxtOff=%d wr=%d lim=%d rcvSeq=%#x rcvOff=%d readOff=%d nivs=%d q=%d rtoAt=%d tlpAt=%d rto=%d peerRcvMax=%#x closing=%v finSent=%v",
		c.sndUna, c.sndNxt, c.sndUnaOff, c.sndNxtOff, c.writeOff, c.sndLimit, c.rcvSeq, c.rcvOff, c.readOff, c.nivs, c.qTail-c.qHead, c.rtoAt, c.tlpAt, c.rto, c.peerRcvMax, c.closing, c.finSent)
	if c.nivs > 0 {
		s += fmt.Sprintf(" iv0=%+v ivN=%+v", c.ivs[0], c.ivs[c.nivs-1])
	}
	return s
}

func dumpDgram(d []byte) string {
	var h header
	p, err := parse(d, &h)
	if err != nil {
		return err.Error()
	}
	s := fmt.Sprintf("%v seq=%#x ack=%#x wnd=%d off=%d len=%d", h.typ, h.seq, h.ack, h.wnd, h.off, len(p))
	if h.typ == NAK || h.typ == STATUS {
		for i := 0; i < int(h.n) && i < 4; i++ {
			lo, hi := getRange(p[i*8:])
			s += fmt.Sprintf(" [%#x,%#x)", lo, hi)
		}
	}
	return s
}
