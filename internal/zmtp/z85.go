package zmtp

import (
	"errors"
	"fmt"
)

// Z85 is the ZeroMQ base-85 encoding of binary keys as printable text
// (RFC 32/Z85): every 4 bytes become 5 characters, most significant first.

const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Value maps a character to its digit plus one (0: not in the alphabet).
var z85Value = func() (t [256]byte) {
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = byte(i + 1)
	}
	return
}()

// Z85Encode encodes b, whose length must be a multiple of 4.
func Z85Encode(b []byte) (string, error) {
	if len(b)%4 != 0 {
		return "", fmt.Errorf("zmtp: Z85 encodes multiples of 4 bytes, not %d", len(b))
	}
	out := make([]byte, 0, len(b)/4*5)
	for i := 0; i < len(b); i += 4 {
		v := uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		var d [5]byte
		for j := 4; j >= 0; j-- {
			d[j] = z85Alphabet[v%85]
			v /= 85
		}
		out = append(out, d[:]...)
	}
	return string(out), nil
}

// ErrZ85 reports text that is not Z85.
var ErrZ85 = errors.New("zmtp: invalid Z85 text")

// Z85Decode decodes s, whose length must be a multiple of 5.
func Z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of 5", ErrZ85, len(s))
	}
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := 0; j < 5; j++ {
			d := z85Value[s[i+j]]
			if d == 0 {
				return nil, fmt.Errorf("%w: character %q at %d", ErrZ85, s[i+j], i+j)
			}
			v = v*85 + uint64(d-1)
		}
		if v > 0xFFFFFFFF {
			return nil, fmt.Errorf("%w: group at %d exceeds 32 bits", ErrZ85, i)
		}
		out = append(out, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return out, nil
}

// Z85Key decodes a 40-character Z85 CURVE key.
func Z85Key(s string) (k [32]byte, err error) {
	if len(s) != 40 {
		return k, fmt.Errorf("%w: a CURVE key is 40 characters of Z85, not %d", ErrZ85, len(s))
	}
	b, err := Z85Decode(s)
	if err != nil {
		return k, err
	}
	copy(k[:], b)
	return k, nil
}
