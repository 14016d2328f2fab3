package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame flag bits (RFC 23, section "Framing").
const (
	FlagMore    = 0x01
	FlagLong    = 0x02
	FlagCommand = 0x04
)

// MaxShortFrame is the largest body a one-byte size field carries.
const MaxShortFrame = 255

// ErrShort means more bytes are needed; it is not a protocol error.
var ErrShort = errors.New("zmtp: need more bytes")

// ErrTooLarge reports a frame or message declared larger than the limit.
var ErrTooLarge = errors.New("zmtp: frame exceeds maximum message size")

// Header is a decoded frame header.
type Header struct {
	Flags byte
	Size  uint64 // body size in bytes
	Len   int    // header length on the wire: 2 or 9
}

// More reports whether another frame of the same message follows.
func (h Header) More() bool { return h.Flags&FlagMore != 0 }

// Command reports whether the frame carries a command rather than message data.
func (h Header) Command() bool { return h.Flags&FlagCommand != 0 }

// ParseHeader decodes the frame header at the start of b. It returns ErrShort
// when b holds only part of it and ErrTooLarge when the declared size exceeds
// max (max <= 0 means no limit, for callers that enforce one elsewhere); it
// never looks at the body, so nothing is allocated on a peer's say-so.
func ParseHeader(b []byte, max int64) (Header, error) {
	if len(b) < 1 {
		return Header{}, ErrShort
	}
	flags := b[0]
	if flags&^(FlagMore|FlagLong|FlagCommand) != 0 {
		return Header{}, fmt.Errorf("zmtp: reserved frame flag bits set (0x%02x)", flags)
	}
	if flags&FlagCommand != 0 && flags&FlagMore != 0 {
		return Header{}, errors.New("zmtp: command frame with MORE flag")
	}
	var h Header
	h.Flags = flags
	if flags&FlagLong == 0 {
		if len(b) < 2 {
			return Header{}, ErrShort
		}
		h.Size, h.Len = uint64(b[1]), 2
	} else {
		if len(b) < 9 {
			return Header{}, ErrShort
		}
		h.Size, h.Len = binary.BigEndian.Uint64(b[1:9]), 9
	}
	if max > 0 && h.Size > uint64(max) {
		return h, fmt.Errorf("%w: %d bytes declared, limit %d", ErrTooLarge, h.Size, max)
	}
	return h, nil
}

// AppendHeader appends a frame header for a body of size bytes. Bodies up to
// 255 bytes get the short form, as RFC 23 requires.
func AppendHeader(b []byte, flags byte, size int) []byte {
	if size <= MaxShortFrame {
		return append(b, flags&^FlagLong, byte(size))
	}
	return binary.BigEndian.AppendUint64(append(b, flags|FlagLong), uint64(size))
}

// HeaderLen is the wire size of the header AppendHeader writes for size.
func HeaderLen(size int) int {
	if size <= MaxShortFrame {
		return 2
	}
	return 9
}

// AppendFrame appends a whole frame: header and body.
func AppendFrame(b []byte, flags byte, body []byte) []byte {
	return append(AppendHeader(b, flags, len(body)), body...)
}

// MessageTooLarge is ErrTooLarge for a data frame of size bytes declared
// after used bytes of the same message, whose limit is max: the reason
// quotes the message's limit, not what is left of it.
func MessageTooLarge(size uint64, used, max int64) error {
	if used == 0 {
		return fmt.Errorf("%w: %d bytes declared, limit %d", ErrTooLarge, size, max)
	}
	return fmt.Errorf("%w: a frame of %d bytes after %d of the same message, limit %d for the message", ErrTooLarge, size, used, max)
}
