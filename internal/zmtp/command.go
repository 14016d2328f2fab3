package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Command names used by zmqx.
const (
	CmdReady     = "READY"
	CmdError     = "ERROR"
	CmdSubscribe = "SUBSCRIBE"
	CmdCancel    = "CANCEL"
	CmdPing      = "PING"
	CmdPong      = "PONG"
	CmdHello     = "HELLO"
	CmdWelcome   = "WELCOME"
	CmdInitiate  = "INITIATE"
)

// Command is a decoded command frame body. Data aliases the input.
type Command struct {
	Name string
	Data []byte
}

// libzmqErrorQuirk is the first byte of libzmq 4.3's misspelt ERROR.
const libzmqErrorQuirk = 0x5E

// ParseCommand splits a command frame body into name and data.
func ParseCommand(body []byte) (Command, error) {
	if len(body) < 1 {
		return Command{}, errors.New("zmtp: empty command frame")
	}
	if len(body) >= 5 && body[0] == libzmqErrorQuirk && string(body[1:5]) == "RROR" {
		// libzmq 4.3 writes its ERROR command's name as "\x05ERROR" in C,
		// where the hex escape swallows the E: 0x5E "RROR". Read it as the
		// ERROR it means, so a refused client reports the reason.
		return Command{Name: CmdError, Data: body[5:]}, nil
	}
	n := int(body[0])
	if n == 0 || 1+n > len(body) {
		return Command{}, errors.New("zmtp: command name length out of range")
	}
	return Command{Name: commandName(body[1 : 1+n]), Data: body[1+n:]}, nil
}

// commandName interns the names zmqx knows so parsing them allocates nothing.
func commandName(b []byte) string {
	switch string(b) {
	case CmdReady:
		return CmdReady
	case CmdError:
		return CmdError
	case CmdSubscribe:
		return CmdSubscribe
	case CmdCancel:
		return CmdCancel
	case CmdPing:
		return CmdPing
	case CmdPong:
		return CmdPong
	case CmdHello:
		return CmdHello
	case CmdWelcome:
		return CmdWelcome
	case CmdInitiate:
		return CmdInitiate
	case CmdMessage:
		return CmdMessage
	}
	return string(b)
}

// AppendCommand appends a whole command frame (header included).
func AppendCommand(b []byte, name string, data ...[]byte) []byte {
	size := 1 + len(name)
	for _, d := range data {
		size += len(d)
	}
	b = AppendHeader(b, FlagCommand, size)
	b = append(append(b, byte(len(name))), name...)
	for _, d := range data {
		b = append(b, d...)
	}
	return b
}

// Property is one metadata entry of READY or INITIATE.
type Property struct {
	Name  string
	Value []byte
}

// Metadata is an ordered property list; names compare case-insensitively.
type Metadata []Property

// Get returns the value of name and whether it was present.
func (m Metadata) Get(name string) ([]byte, bool) {
	for _, p := range m {
		if equalFold(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// AppendMetadata appends properties in wire form.
func AppendMetadata(b []byte, m Metadata) []byte {
	for _, p := range m {
		b = append(append(b, byte(len(p.Name))), p.Name...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(p.Value)))
		b = append(b, p.Value...)
	}
	return b
}

// ParseMetadata decodes a property list. Values alias the input.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || 1+n+4 > len(b) {
			return nil, errors.New("zmtp: malformed metadata property name")
		}
		name := string(b[1 : 1+n])
		b = b[1+n:]
		vl := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(vl) > uint64(len(b)) {
			return nil, fmt.Errorf("zmtp: metadata value for %q overruns command (%d > %d)", name, vl, len(b))
		}
		m = append(m, Property{Name: name, Value: b[:vl:vl]})
		b = b[vl:]
	}
	return m, nil
}

// Ping is a decoded PING command (RFC 37).
type Ping struct {
	TTL     uint16 // deciseconds the peer may wait for traffic before closing
	Context []byte // at most 16 bytes, echoed in PONG
}

// ParsePing decodes PING data.
func ParsePing(data []byte) (Ping, error) {
	if len(data) < 2 {
		return Ping{}, errors.New("zmtp: PING shorter than its TTL field")
	}
	ctx := data[2:]
	if len(ctx) > 16 {
		return Ping{}, errors.New("zmtp: PING context longer than 16 bytes")
	}
	return Ping{TTL: binary.BigEndian.Uint16(data), Context: ctx}, nil
}

// AppendPing appends a PING command frame.
func AppendPing(b []byte, ttl uint16, ctx []byte) []byte {
	var t [2]byte
	binary.BigEndian.PutUint16(t[:], ttl)
	return AppendCommand(b, CmdPing, t[:], ctx)
}

// AppendError appends an ERROR command frame; reason is cut to 255 bytes.
func AppendError(b []byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	return AppendCommand(b, CmdError, []byte{byte(len(reason))}, []byte(reason))
}

// ParseError decodes ERROR data into its reason.
func ParseError(data []byte) (string, error) {
	if len(data) < 1 || int(data[0]) > len(data)-1 {
		return "", errors.New("zmtp: malformed ERROR command")
	}
	return string(data[1 : 1+int(data[0])]), nil
}
