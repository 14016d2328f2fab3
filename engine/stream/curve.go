package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// CURVE connections: the socket still encodes plain ZMTP frames into the
// Outbound and decodes plain frames from the Inbound; the engine seals and
// opens in between. Outbound, each frame (data or command, PING included)
// becomes one MESSAGE, sealed into a buffer the engine then writes
// out; inbound, the engine reads the MESSAGEs into a buffer of its
// own and opens each straight into the Inbound's memory as the frame it
// carries. Every buffer is kept and reused, so the steady state allocates
// nothing; the cost is one copy of each payload on the way out (the box
// needs the flags byte and payload contiguous) and the box itself.

// curveIO is a CURVE connection's buffers and codec.
type curveIO struct {
	codec *zmtp.CurveCodec

	// Receive side (the reader).
	in   []byte // ciphertext read from the connection; in[r:w] is unread
	r, w int
	tmp  []byte // a frame that does not fit the Inbound's free space
	max  int64  // the largest command frame accepted

	// Send side (the writer).
	out   []byte // sealed MESSAGE frames; out[off:] is still to write
	off   int
	frame []byte // the plain frame being collected: flags byte, payload
	left  int64  // payload bytes the frame still needs; -1 between frames
	hdr   [9]byte
	hdrN  int // header bytes collected (a header split between buffers)
}

func newCurveIO(codec *zmtp.CurveCodec, maxMsg int64, rb *rbuf) *curveIO {
	if maxMsg <= 0 {
		maxMsg = maxFrame
	}
	x := &curveIO{codec: codec, max: maxMsg + zmtp.MessageOverhead + 9, left: -1}
	// The handshake's buffer carries on, with what came in behind READY.
	x.in, x.r, x.w = rb.buf, rb.r, rb.w
	return x
}

// space is where the next read from the connection goes.
func (x *curveIO) space() []byte {
	if x.r == x.w {
		x.r, x.w = 0, 0
	} else if len(x.in)-x.w < 4<<10 && x.r > 0 {
		x.w = copy(x.in, x.in[x.r:x.w])
		x.r = 0
	}
	return x.in[x.w:]
}

// filled opens the whole MESSAGEs among the n bytes just read into
// space and writes the frames they carry into the Inbound, publishing
// them. It reports whether a message was published.
func (c *conn) curveFilled(n int) (woke bool, err error) {
	var k int // bytes written into sp, not yet filled
	x, ib := c.cv, c.ib
	defer func() {
		if err != nil && k > 0 {
			// What was opened before the bad command is genuine: deliver it.
			ib.Fill(k)
		}
	}()
	x.w += n
	sp := ib.Space()
	flush := func() error {
		if k > 0 {
			w, err := ib.Fill(k)
			woke = woke || w
			k = 0
			sp = ib.Space()
			return err
		}
		return nil
	}
	for {
		b := x.in[x.r:x.w]
		h, err := zmtp.ParseHeader(b, 0)
		if err == zmtp.ErrShort {
			break
		}
		if err != nil {
			return woke, err
		}
		if h.Size > uint64(x.max) {
			return woke, fmt.Errorf("%w: CURVE command of %d bytes, limit %d", zmtp.ErrTooLarge, h.Size, x.max)
		}
		total := h.Len + int(h.Size)
		if len(b) < total {
			if total > len(x.in) {
				// A frame larger than the buffer: grow it, once, to fit
				// (the size is checked above), and keep it for the next.
				nb := make([]byte, total)
				x.w = copy(nb, b)
				x.in, x.r = nb, 0
			}
			break
		}
		x.r += total
		// MESSAGE travels as a data frame (libzmq's framing; see
		// zmtp.CurveCodec.Seal); a command frame is read the same way.
		cmd, err := zmtp.ParseCommand(b[h.Len:total])
		if err != nil {
			return woke, err
		}
		if cmd.Name != zmtp.CmdMessage {
			if cmd.Name == zmtp.CmdError {
				reason, _ := zmtp.ParseError(cmd.Data)
				return woke, fmt.Errorf("%w: %q", zmtp.ErrPeerError, reason)
			}
			return woke, fmt.Errorf("%w %q on a CURVE connection", errUnexpectedCommand, cmd.Name)
		}
		size := len(cmd.Data) - (8 + 16 + 1) // nonce, authenticator, flags
		if size < 0 {
			return woke, errors.New("zmtp: malformed CURVE MESSAGE")
		}
		hl := 2
		if size > zmtp.MaxShortFrame {
			hl = 9
		}
		if len(sp)-k >= hl+size {
			// Open in place: the flags byte lands on the header's last
			// byte, and the header is written over it.
			at := k + hl - 1
			plain, err := x.codec.Open(sp[at:at:len(sp)], cmd.Data)
			if err != nil {
				return woke, err
			}
			putHeader(sp[k:], plain[0], size)
			k += hl + size
			continue
		}
		if err := flush(); err != nil {
			return woke, err
		}
		if x.tmp, err = x.codec.Open(x.tmp[:0], cmd.Data); err != nil {
			return woke, err
		}
		var hb [9]byte
		putHeader(hb[:], x.tmp[0], size)
		for _, part := range [2][]byte{hb[:hl], x.tmp[1:]} {
			for len(part) > 0 {
				m := copy(sp, part)
				part = part[m:]
				k = m
				if err := flush(); err != nil {
					return woke, err
				}
			}
		}
	}
	return woke, flush()
}

// putHeader writes a ZMTP frame header for a frame of size bytes with the
// flags of a MESSAGE's flags byte.
func putHeader(b []byte, curveFlags byte, size int) {
	f := zmtp.FromCurveFlags(curveFlags)
	if size > zmtp.MaxShortFrame {
		b[0] = f | zmtp.FlagLong
		binary.BigEndian.PutUint64(b[1:9], uint64(size))
		return
	}
	b[0], b[1] = f, byte(size)
}

// seal turns plain ZMTP frames (whole or in pieces, across calls) into
// sealed MESSAGEs appended to out.
func (x *curveIO) seal(b []byte) {
	for len(b) > 0 {
		if x.left < 0 {
			if x.hdrN == 0 && len(b) >= 9 || x.hdrN == 0 && len(b) >= 2 && b[0]&zmtp.FlagLong == 0 {
				x.startFrame(b)
				b = b[x.headerLen(b[0]):]
				continue
			}
			// A header split between two buffers: collect it.
			x.hdr[x.hdrN] = b[0]
			x.hdrN++
			b = b[1:]
			if x.hdrN == x.headerLen(x.hdr[0]) {
				x.startFrame(x.hdr[:x.hdrN])
				x.hdrN = 0
			}
			continue
		}
		k := int(min(x.left, int64(len(b))))
		x.frame = append(x.frame, b[:k]...)
		x.left -= int64(k)
		b = b[k:]
		if x.left == 0 {
			x.endFrame()
		}
	}
}

func (x *curveIO) headerLen(flags byte) int {
	if flags&zmtp.FlagLong != 0 {
		return 9
	}
	return 2
}

func (x *curveIO) startFrame(h []byte) {
	size := int64(h[1])
	if h[0]&zmtp.FlagLong != 0 {
		size = int64(binary.BigEndian.Uint64(h[1:9]))
	}
	x.frame = append(x.frame[:0], zmtp.ToCurveFlags(h[0]))
	x.left = size
	if size == 0 {
		x.endFrame()
	}
}

func (x *curveIO) endFrame() {
	x.out = x.codec.Seal(x.out, x.frame)
	x.left = -1
}

// curveRefill seals what is queued (command frames between messages, then
// published messages, up to the batch size) once everything sealed before
// has been written. It reports whether there is something to write.
func (c *conn) curveRefill(ctl []byte) ([]byte, bool) {
	x := c.cv
	if x.off < len(x.out) {
		return ctl, true
	}
	x.out, x.off = x.out[:0], 0
	ctl = c.takeControl(ctl[:0])
	x.seal(ctl)
	// A frame larger than the batch size seals only once all of it is in:
	// take batch after batch until something is sealed or nothing is left,
	// so a pump never ends with output queued and nothing to write (in
	// invoker mode nobody would come back for it).
	for len(x.out) == 0 {
		c.iov = c.ob.Gather(c.iov[:0], c.o.BatchSize)
		n := 0
		for _, b := range c.iov {
			x.seal(b)
			n += len(b)
		}
		clear(c.iov)
		if n == 0 {
			break
		}
		// The payloads are copied into the seal: their memory (and their
		// place under the high-water mark) is free at once.
		c.ob.Advance(n)
	}
	return ctl, len(x.out) > 0
}

// curveWriteLoop is writeLoop for CURVE connections.
func (c *conn) curveWriteLoop(ctx context.Context, done <-chan struct{}) error {
	var ctl []byte
	tick, stop := c.heartbeatTicker()
	defer stop()
	c.ob.Resume()
	for {
		var more bool
		if ctl, more = c.curveRefill(ctl); !more {
			if !c.awaitOutput(ctx, done, tick) {
				return nil
			}
			continue
		}
		x := c.cv
		if c.eng.Writes != nil {
			c.eng.Writes(len(x.out) - x.off)
		}
		_, err := c.c.Write(x.out[x.off:])
		x.off = len(x.out)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
	}
}
