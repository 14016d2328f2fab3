package main

import (
	"flag"
	"fmt"

	"github.com/zmqx/zmqx"
)

// curveFlags are the CURVE flags of the commands that make a socket.
type curveFlags struct {
	server, secret, public, serverKey string
}

func (f *curveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "curve-server", "", "be a CURVE server with this `SECRET` key (Z85, as zmqx keygen prints it)")
	fs.StringVar(&f.secret, "curve-secret", "", "be a CURVE client with this `SECRET` key (Z85; needs --curve-public and --curve-server-key)")
	fs.StringVar(&f.public, "curve-public", "", "the CURVE client's own `PUBLIC` key (Z85)")
	fs.StringVar(&f.serverKey, "curve-server-key", "", "the CURVE server's public `KEY` (Z85), for a client")
}

// apply sets the CURVE options the flags ask for on o, or says what is
// wrong with them as a usage error of cmd.
func (f *curveFlags) apply(cmd string, o *zmqx.SocketOptions) error {
	key := func(flag, v string) (zmqx.CurveKey, error) {
		k, err := zmqx.ParseCurveKey(v)
		if err != nil {
			return k, usagef(cmd, "--%s: %v", flag, err)
		}
		return k, nil
	}
	client := f.secret != "" || f.public != "" || f.serverKey != ""
	var err error
	switch {
	case f.server != "" && client:
		return usagef(cmd, "--curve-server makes this side the server; --curve-secret, --curve-public and --curve-server-key are for a client")
	case f.server != "":
		o.CurveServer = true
		o.CurveSecretKey, err = key("curve-server", f.server)
		return err
	case !client:
		return nil
	case f.secret == "" || f.public == "" || f.serverKey == "":
		return usagef(cmd, "a CURVE client needs all of --curve-secret, --curve-public and --curve-server-key")
	}
	if o.CurveSecretKey, err = key("curve-secret", f.secret); err != nil {
		return err
	}
	if o.CurvePublicKey, err = key("curve-public", f.public); err != nil {
		return err
	}
	if o.CurveServerKey, err = key("curve-server-key", f.serverKey); err != nil {
		return err
	}
	if zmqx.CurvePublicKey(o.CurveSecretKey) != o.CurvePublicKey {
		return usagef(cmd, "--curve-public is not the public key of --curve-secret")
	}
	return nil
}

const keygenHelp = `Usage: zmqx keygen

Prints a new CURVE key pair in Z85, as two lines:
  public: PUBLIC
  secret: SECRET
A server is started with --curve-server SECRET and gives its clients PUBLIC (their
--curve-server-key); a client uses its own pair as --curve-secret and --curve-public.
`

// keygen prints a new CURVE key pair.
func (c *cli) keygen(args []string) error {
	fs := newFlagSet("keygen")
	if err := c.parseFlags(fs, "keygen", args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("keygen", "keygen takes no arguments (%q)", fs.Arg(0))
	}
	pub, sec, err := zmqx.NewCurveKeyPair()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "public: %s\nsecret: %s\n", pub, sec)
	return err
}
