package core

// signal is a level-triggered wake-up: any number of notify calls before a
// wait collapse into one wake-up. It is the "command" a ypipe writer sends to
// a sleeping reader.
type signal chan struct{}

func newSignal() signal { return make(signal, 1) }

func (s signal) notify() {
	select {
	case s <- struct{}{}:
	default:
	}
}
