package bpf_test

import (
	"testing"

	"github.com/zmqx/zmqx/internal/ztest"
)

// TestMain fails the run when tests leave goroutines or descriptors behind.
func TestMain(m *testing.M) { ztest.Main(m) }
