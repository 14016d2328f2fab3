module github.com/zmqx/zmqx

go 1.26.0

require (
	github.com/HdrHistogram/hdrhistogram-go v1.1.2
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
