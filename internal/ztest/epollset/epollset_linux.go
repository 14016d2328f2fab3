// Package epollset tells tests whether a descriptor is in one of the
// process's epoll sets (Go's network poller has one), on Linux.
package epollset

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// Watches reports whether an epoll set of this process (Go's network
// poller has one) watches descriptor fd, from /proc/self/fdinfo. It fails
// when the process has no epoll set at all: the answer would prove nothing.
func Watches(fd int) (bool, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false, err
	}
	sets := 0
	want := strconv.Itoa(fd)
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		sets++
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" && f[1] == want {
				return true, nil
			}
		}
	}
	if sets == 0 {
		return false, errors.New("no epoll set in this process")
	}
	return false, nil
}
