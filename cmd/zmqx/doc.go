// Command zmqx sends, receives, serves and forwards ØMQ messages from the
// shell, against zmqx or any libzmq peer.
//
//	zmqx send --type PUSH --connect tcp://127.0.0.1:5555 hello world
//	zmqx recv --type PULL --bind tcp://*:5555 --count 1 --format json
//	zmqx recv --type SUB --connect tcp://127.0.0.1:5556 --subscribe quotes.
//	zmqx send --type REP --bind tcp://*:5557 --count 10 pong
//	zmqx proxy --frontend ROUTER@bind:tcp://*:5559 --backend DEALER@bind:tcp://*:5560
//
// Run "zmqx -h" and "zmqx COMMAND -h" for the whole story: help.go holds it.
package main
