package main

import (
	"bufio"
	"context"
	"io"
	"strings"
)

// source yields the messages send sends (or, serving, replies with):
// the FRAME arguments count times, or one per line of standard input.
type source struct {
	fixed [][]byte // the message of the FRAME arguments; nil: read lines
	limit int      // messages to yield; 0: until the input ends
	n     int

	format    format
	multipart bool
	lines     chan string
	readErr   chan error
	quit      chan struct{}
}

func argSource(msg [][]byte, count int) *source {
	return &source{fixed: msg, limit: max(count, 1)}
}

// lineSource reads r in a goroutine of its own, so that waiting for a
// line (a terminal) gives way to an interrupt or the timeout.
func lineSource(r io.Reader, fm format, multipart bool, count int) *source {
	s := &source{limit: count, format: fm, multipart: multipart,
		lines: make(chan string), readErr: make(chan error, 1), quit: make(chan struct{})}
	go func() {
		var err error
		defer func() {
			s.readErr <- err
			close(s.lines)
		}()
		if r == nil {
			return
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 256<<20)
		for sc.Scan() {
			select {
			case s.lines <- sc.Text():
			case <-s.quit:
				return
			}
		}
		err = sc.Err()
	}()
	return s
}

// close lets the reading goroutine go (once it is not blocked reading).
func (s *source) close() {
	if s.quit != nil {
		close(s.quit)
	}
}

// next returns the next message, or ok false when there is none left.
func (s *source) next(ctx context.Context) (msg [][]byte, ok bool, err error) {
	if s.limit > 0 && s.n >= s.limit {
		return nil, false, nil
	}
	if s.fixed != nil {
		s.n++
		return s.fixed, true, nil
	}
	for {
		select {
		case line, open := <-s.lines:
			if !open {
				if err := <-s.readErr; err != nil {
					return nil, false, err
				}
				s.readErr <- nil // for a further call
				return nil, false, nil
			}
			if s.format != formatText && strings.TrimSpace(line) == "" {
				// A hex or json message has a frame at least: a blank line
				// (the end of a file, a pause) is no message.
				continue
			}
			msg, err := s.format.parseLine(line, s.multipart)
			if err != nil {
				return nil, false, err
			}
			s.n++
			return msg, true, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}
