// Package rawio holds the non-blocking read and write system calls of the
// spinning paths, made with unix.RawSyscall: the ordinary Syscall path tells
// the Go scheduler about every call, which wakes sysmon on a pinned core and
// was measured to triple the 99th percentile of a spinning ping-pong. Only
// calls that never block may come through here. It is the one package of
// the engines that imports golang.org/x/sys/unix; elsewhere Supported is
// false and every call fails.
package rawio
