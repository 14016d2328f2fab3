package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A format writes a message as one line and reads it back: what recv
// prints, send accepts on standard input and in its FRAME arguments, so
// the output of one zmqx can be piped into another.
type format string

const (
	formatText format = "text"
	formatHex  format = "hex"
	formatJSON format = "json"
)

func parseFormat(s string) (format, error) {
	switch f := format(s); f {
	case formatText, formatHex, formatJSON:
		return f, nil
	}
	return "", fmt.Errorf("--format must be text, hex or json, not %q", s)
}

// emptyFrame stands for a frame with no bytes wherever a frame is written
// as a word of its own: in FRAME arguments, hex lines and text lines.
const emptyFrame = "-"

// appendMsg appends msg as one line, newline included.
func (f format) appendMsg(b []byte, msg [][]byte) ([]byte, error) {
	switch f {
	case formatJSON:
		elems := make([]any, len(msg))
		for i, fr := range msg {
			if utf8.Valid(fr) {
				elems[i] = string(fr)
			} else {
				elems[i] = binaryFrame{Base64: base64.StdEncoding.EncodeToString(fr)}
			}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(elems); err != nil {
			return b, err
		}
		return append(b, buf.Bytes()...), nil
	case formatHex:
		for i, fr := range msg {
			if i > 0 {
				b = append(b, ' ')
			}
			if len(fr) == 0 {
				b = append(b, emptyFrame...)
			} else {
				b = hex.AppendEncode(b, fr)
			}
		}
	default:
		for i, fr := range msg {
			if i > 0 {
				b = append(b, '\t')
			}
			b = appendText(b, fr)
		}
	}
	return append(b, '\n'), nil
}

// binaryFrame is how JSON carries a frame that is not UTF-8: its exact
// bytes in base64, where a JSON string would have to replace them.
type binaryFrame struct {
	Base64 string `json:"base64"`
}

// appendText writes a frame so that it stays on one line and reads back
// to the same bytes: backslash, tab, newline, carriage return, other
// control bytes and bytes that are not UTF-8 are escaped; a frame that is
// exactly "-" is written \- so it cannot be taken for an empty frame.
func appendText(b []byte, fr []byte) []byte {
	if string(fr) == emptyFrame {
		return append(b, `\-`...)
	}
	for len(fr) > 0 {
		r, n := utf8.DecodeRune(fr)
		switch {
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			b = append(b, '\\', 'x')
			b = hex.AppendEncode(b, fr[:1])
		default:
			b = append(b, fr[:n]...)
		}
		fr = fr[n:]
	}
	return b
}

// parseText reverses appendText. A backslash before anything but the
// escapes appendText writes is kept as it is, so ordinary text with
// backslashes (paths, regular expressions) mostly survives unescaped.
func parseText(s string) []byte {
	if s == emptyFrame {
		return []byte{}
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		switch s[i+1] {
		case '\\':
			b = append(b, '\\')
		case 't':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case '-':
			b = append(b, '-')
		case 'x':
			if i+3 < len(s) {
				if v, err := hex.DecodeString(s[i+2 : i+4]); err == nil {
					b = append(b, v[0])
					i += 3
					continue
				}
			}
			b = append(b, c)
			continue
		default:
			b = append(b, c)
			continue
		}
		i++
	}
	return b
}

// parseArg reads one FRAME argument: hex in --format hex, otherwise the
// text notation (JSON would make every argument need quotes).
func (f format) parseArg(s string) ([]byte, error) {
	if f == formatHex {
		return parseHexFrame(s)
	}
	return parseText(s), nil
}

func parseHexFrame(s string) ([]byte, error) {
	if s == emptyFrame {
		return []byte{}, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("hex frame %q: %w", s, err)
	}
	return b, nil
}

// parseLine reads one message from a line of standard input (without its
// newline). In text a line is one frame, or tab-separated frames with
// multipart.
func (f format) parseLine(line string, multipart bool) ([][]byte, error) {
	switch f {
	case formatJSON:
		var elems []json.RawMessage
		if err := json.Unmarshal([]byte(line), &elems); err != nil {
			return nil, fmt.Errorf("json input: want an array of frames: %w", err)
		}
		if len(elems) == 0 {
			return nil, errors.New("json input: a message needs at least one frame")
		}
		out := make([][]byte, len(elems))
		for i, e := range elems {
			var s string
			if err := json.Unmarshal(e, &s); err == nil {
				out[i] = []byte(s)
				continue
			}
			var bf binaryFrame
			dec := json.NewDecoder(bytes.NewReader(e))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&bf); err != nil {
				return nil, fmt.Errorf(`json input: frame %d is neither a string nor {"base64": ...}`, i)
			}
			b, err := base64.StdEncoding.DecodeString(bf.Base64)
			if err != nil {
				return nil, fmt.Errorf("json input: frame %d: %w", i, err)
			}
			out[i] = b
		}
		return out, nil
	case formatHex:
		words := strings.Fields(line)
		if len(words) == 0 {
			return nil, errors.New(`hex input: empty line (write "-" for an empty frame)`)
		}
		out := make([][]byte, len(words))
		for i, w := range words {
			b, err := parseHexFrame(w)
			if err != nil {
				return nil, err
			}
			out[i] = b
		}
		return out, nil
	}
	if !multipart {
		return [][]byte{parseText(line)}, nil
	}
	parts := strings.Split(line, "\t")
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = parseText(p)
	}
	return out, nil
}
