//go:build !linux

package cpuset_test

import (
	"errors"
	"testing"

	"github.com/zmqx/zmqx/cpuset"
)

func TestNotSupported(t *testing.T) {
	if _, err := cpuset.Allowed(); !errors.Is(err, cpuset.ErrNotSupported) {
		t.Errorf("Allowed: %v", err)
	}
	if err := cpuset.PinThread(0); !errors.Is(err, cpuset.ErrNotSupported) {
		t.Errorf("PinThread: %v", err)
	}
	if err := cpuset.PinProcess(0); !errors.Is(err, cpuset.ErrNotSupported) {
		t.Errorf("PinProcess: %v", err)
	}
	if err := cpuset.PinProcessSet(cpuset.Of(0)); !errors.Is(err, cpuset.ErrNotSupported) {
		t.Errorf("PinProcessSet: %v", err)
	}
	if _, err := cpuset.MatchGOMAXPROCS(); !errors.Is(err, cpuset.ErrNotSupported) {
		t.Errorf("MatchGOMAXPROCS: %v", err)
	}
}
