// Package interop holds tests that pair zmqx sockets with real libzmq
// sockets (Debian's libzmq5, through the small C program in peer/) and with
// pyzmq (pypeer.py, run by a Python interpreter that can import zmq), both
// directions of every pattern. The main module stays free of cgo: the C
// peer is built with gcc when the tests start.
//
// Without gcc, libzmq's headers or an interpreter with pyzmq the tests skip
// and say why; with CI set in the environment they fail instead, so a CI run
// cannot pass without them.
package interop
