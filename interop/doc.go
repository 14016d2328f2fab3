// Package interop holds tests that pair zmqx sockets with real libzmq
// sockets (Debian's libzmq5, through the small C program in peer/), both
// directions of every pattern. The main module stays free of cgo: the peer
// is built with gcc when the tests start.
//
// Without gcc or libzmq's headers the tests skip and say why; with CI set
// in the environment they fail instead, so a CI run cannot pass without them.
package interop
