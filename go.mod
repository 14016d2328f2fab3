module github.com/zmqx/zmqx

go 1.26
