package bpf

// The generated *_bpfel.go/*_bpfeb.go and their .o files are committed, so
// building needs no clang; .ci/check-bpf regenerates them with Debian's
// clang and fails when they differ.
//go:generate go tool bpf2go -tags linux -target bpfel,bpfeb -cc clang -strip llvm-strip -cflags "-O2 -g -Wall -Werror" steer steer.c
//go:generate go tool bpf2go -tags linux -target bpfel,bpfeb -cc clang -strip llvm-strip -cflags "-O2 -g -Wall -Werror" lossy lossy.c
