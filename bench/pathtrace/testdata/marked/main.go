// Command marked is bench/pathtrace's test subject: three turnarounds
// between internal/legs's Received and Kick, each running work.
package main

import (
	"fmt"

	"github.com/zmqx/zmqx/internal/legs"
)

//go:noinline
func work(n int) int {
	s := 0
	for i := range n {
		s += i * i
	}
	return s
}

func main() {
	s := 0
	for range 3 {
		legs.Received(1)
		s += work(100)
		legs.Kick()
	}
	fmt.Println("sum", s)
}
