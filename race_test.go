//go:build race

package zmqx_test

const raceEnabled = true
