package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidOption: SetOption or GetOption was given an unknown option, a
// value of the wrong type or out of range, an option of another socket
// type, or an option that cannot change once the socket exists (libzmq's
// EINVAL).
var ErrInvalidOption = errors.New("zmqx: invalid socket option")

// Option names a socket option for Socket.SetOption and Socket.GetOption.
// Each is a field of Options, with the same meaning and value type.
type Option uint8

// Options that can be read with GetOption; those marked live can also be
// changed with SetOption after the socket is made. As in libzmq, a change
// applies from then on: to the messages sent and received after it, and
// for the options a connection takes when it starts (HWMs, heartbeats,
// timeouts, TCP settings, MaxMsgSize, routing ids) to the connections,
// binds and connects made after it.
const (
	OptLinger               Option = iota + 1 // time.Duration, live
	OptSendHWM                                // int, live (new pipes)
	OptRecvHWM                                // int, live (new pipes)
	OptRoutingID                              // []byte, live (new connections)
	OptRouterMandatory                        // bool, live
	OptRouterHandover                         // bool, live
	OptProbeRouter                            // bool, live (new peers)
	OptConnectRoutingID                       // []byte, live (next Connect)
	OptReqRelaxed                             // bool, live
	OptReqCorrelate                           // bool, live
	OptXPubVerbose                            // bool, live
	OptXPubVerboser                           // bool, live
	OptXPubNoDrop                             // bool, live
	OptXPubManual                             // bool, live
	OptXPubWelcomeMsg                         // []byte, live (new subscribers)
	OptInvertMatching                         // bool, live
	OptConflate                               // bool, live until the first Bind or Connect
	OptImmediate                              // bool, live (next Connect)
	OptTCPKeepAlive                           // int, live (new connections)
	OptTCPKeepAliveIdle                       // time.Duration, live (new connections)
	OptTCPKeepAliveInterval                   // time.Duration, live (new connections)
	OptTCPKeepAliveCount                      // int, live (new connections)
	OptSendBuffer                             // int, live (new connections)
	OptRecvBuffer                             // int, live (new connections)
	OptTOS                                    // int, live (new connections)
	OptBindToDevice                           // string, live (new connections)
	OptConnectTimeout                         // time.Duration, live
	OptTCPMaxRT                               // time.Duration, live (new connections)
	OptMaxMsgSize                             // int64, live (new connections)
	OptHandshakeTimeout                       // time.Duration, live (new connections)
	OptHeartbeatInterval                      // time.Duration, live (new connections)
	OptHeartbeatTTL                           // time.Duration, live (new connections)
	OptHeartbeatTimeout                       // time.Duration, live (new connections)
	OptReconnectInterval                      // time.Duration, live
	OptReconnectIntervalMax                   // time.Duration, live
	OptBatchSize                              // int, live (new connections)
	OptPlainUsername                          // string, fixed at creation
	OptPlainPassword                          // string, fixed at creation
	optEnd
)

type optDesc struct {
	name string
	live bool
	// field returns a pointer to the option's field in o.
	field func(o *Options) any
}

var optTable = [optEnd]optDesc{
	OptLinger:               {"Linger", true, func(o *Options) any { return &o.Linger }},
	OptSendHWM:              {"SendHWM", true, func(o *Options) any { return &o.SendHWM }},
	OptRecvHWM:              {"RecvHWM", true, func(o *Options) any { return &o.RecvHWM }},
	OptRoutingID:            {"RoutingID", true, func(o *Options) any { return &o.RoutingID }},
	OptRouterMandatory:      {"RouterMandatory", true, func(o *Options) any { return &o.RouterMandatory }},
	OptRouterHandover:       {"RouterHandover", true, func(o *Options) any { return &o.RouterHandover }},
	OptProbeRouter:          {"ProbeRouter", true, func(o *Options) any { return &o.ProbeRouter }},
	OptConnectRoutingID:     {"ConnectRoutingID", true, func(o *Options) any { return &o.ConnectRoutingID }},
	OptReqRelaxed:           {"ReqRelaxed", true, func(o *Options) any { return &o.ReqRelaxed }},
	OptReqCorrelate:         {"ReqCorrelate", true, func(o *Options) any { return &o.ReqCorrelate }},
	OptXPubVerbose:          {"XPubVerbose", true, func(o *Options) any { return &o.XPubVerbose }},
	OptXPubVerboser:         {"XPubVerboser", true, func(o *Options) any { return &o.XPubVerboser }},
	OptXPubNoDrop:           {"XPubNoDrop", true, func(o *Options) any { return &o.XPubNoDrop }},
	OptXPubManual:           {"XPubManual", true, func(o *Options) any { return &o.XPubManual }},
	OptXPubWelcomeMsg:       {"XPubWelcomeMsg", true, func(o *Options) any { return &o.XPubWelcomeMsg }},
	OptInvertMatching:       {"InvertMatching", true, func(o *Options) any { return &o.InvertMatching }},
	OptConflate:             {"Conflate", true, func(o *Options) any { return &o.Conflate }},
	OptImmediate:            {"Immediate", true, func(o *Options) any { return &o.Immediate }},
	OptTCPKeepAlive:         {"TCPKeepAlive", true, func(o *Options) any { return &o.TCPKeepAlive }},
	OptTCPKeepAliveIdle:     {"TCPKeepAliveIdle", true, func(o *Options) any { return &o.TCPKeepAliveIdle }},
	OptTCPKeepAliveInterval: {"TCPKeepAliveInterval", true, func(o *Options) any { return &o.TCPKeepAliveInterval }},
	OptTCPKeepAliveCount:    {"TCPKeepAliveCount", true, func(o *Options) any { return &o.TCPKeepAliveCount }},
	OptSendBuffer:           {"SendBuffer", true, func(o *Options) any { return &o.SendBuffer }},
	OptRecvBuffer:           {"RecvBuffer", true, func(o *Options) any { return &o.RecvBuffer }},
	OptTOS:                  {"TOS", true, func(o *Options) any { return &o.TOS }},
	OptBindToDevice:         {"BindToDevice", true, func(o *Options) any { return &o.BindToDevice }},
	OptConnectTimeout:       {"ConnectTimeout", true, func(o *Options) any { return &o.ConnectTimeout }},
	OptTCPMaxRT:             {"TCPMaxRT", true, func(o *Options) any { return &o.TCPMaxRT }},
	OptMaxMsgSize:           {"MaxMsgSize", true, func(o *Options) any { return &o.MaxMsgSize }},
	OptHandshakeTimeout:     {"HandshakeTimeout", true, func(o *Options) any { return &o.HandshakeTimeout }},
	OptHeartbeatInterval:    {"HeartbeatInterval", true, func(o *Options) any { return &o.HeartbeatInterval }},
	OptHeartbeatTTL:         {"HeartbeatTTL", true, func(o *Options) any { return &o.HeartbeatTTL }},
	OptHeartbeatTimeout:     {"HeartbeatTimeout", true, func(o *Options) any { return &o.HeartbeatTimeout }},
	OptReconnectInterval:    {"ReconnectInterval", true, func(o *Options) any { return &o.ReconnectInterval }},
	OptReconnectIntervalMax: {"ReconnectIntervalMax", true, func(o *Options) any { return &o.ReconnectIntervalMax }},
	OptBatchSize:            {"BatchSize", true, func(o *Options) any { return &o.BatchSize }},
	// The security options stay as the socket was made (a PLAIN server's
	// PlainAuth is no Option at all, nor are Events and Logger).
	OptPlainUsername: {"PlainUsername", false, func(o *Options) any { return &o.PlainUsername }},
	OptPlainPassword: {"PlainPassword", false, func(o *Options) any { return &o.PlainPassword }},
}

func (opt Option) String() string {
	if opt > 0 && opt < optEnd {
		return optTable[opt].name
	}
	return fmt.Sprintf("Option(%d)", uint8(opt))
}

// Live reports whether SetOption can change opt after the socket is made.
func (opt Option) Live() bool { return opt > 0 && opt < optEnd && optTable[opt].live }

// checkMore checks the options added with SetOption (called by resolved).
func (o Options) checkMore() error {
	switch {
	case len(o.ConnectRoutingID) > 255:
		return errors.New("zmqx: ConnectRoutingID is longer than 255 bytes")
	case len(o.ConnectRoutingID) > 0 && o.ConnectRoutingID[0] == 0:
		return errors.New("zmqx: ConnectRoutingID must not start with a zero byte (reserved for generated ids)")
	}
	return nil
}

// checkType reports whether a socket of type t can use o (at creation).
func (o Options) checkType(t Type) error {
	if o.Conflate && !conflates(t) {
		return fmt.Errorf("%w: Conflate is for PUB, SUB, PUSH, PULL and DEALER, not %s", ErrInvalidOption, t)
	}
	for opt := Option(1); opt < optEnd; opt++ {
		if err := opt.forType(t); err != nil && isSet(optTable[opt].field(&o)) {
			return err
		}
	}
	return nil
}

// isSet reports whether a flag or bytes option (what forType restricts)
// is set, given a pointer to its field.
func isSet(field any) bool {
	switch v := field.(type) {
	case *bool:
		return *v
	case *[]byte:
		return len(*v) > 0
	}
	return false
}

// forType reports whether a socket of type t takes opt, as libzmq's
// sockets do: an option of one socket type given to another is an error
// (EINVAL there), not a setting silently ignored. The sets are libzmq's,
// whose REP is a ROUTER underneath, its REQ a DEALER and its PUB an XPUB
// (interop's TestPyOptionsForType compares them with libzmq's answers),
// except that XPubManual, which hands subscriptions to Recv, is XPUB's
// alone. The options libzmq takes on any socket (InvertMatching among
// them) are taken on any here too.
func (opt Option) forType(t Type) error {
	var types []Type
	switch opt {
	case OptRouterMandatory, OptRouterHandover:
		types = []Type{REP, ROUTER}
	case OptProbeRouter:
		types = []Type{REQ, REP, DEALER, ROUTER}
	case OptConnectRoutingID:
		types = []Type{REP, ROUTER, STREAM}
	case OptReqRelaxed, OptReqCorrelate:
		types = []Type{REQ}
	case OptXPubVerbose, OptXPubVerboser, OptXPubNoDrop, OptXPubWelcomeMsg:
		types = []Type{PUB, XPUB}
	case OptXPubManual:
		types = []Type{XPUB}
	default:
		return nil
	}
	if slices.Contains(types, t) {
		return nil
	}
	names := make([]string, len(types))
	for i, ty := range types {
		names[i] = ty.String()
	}
	return fmt.Errorf("%w: %s is for %s, not %s", ErrInvalidOption, opt, strings.Join(names, " and "), t)
}

func conflates(t Type) bool {
	switch t {
	case PUB, SUB, PUSH, PULL, DEALER:
		return true
	}
	return false
}

// SetOption changes one option of a live socket (see Option for which
// can change and their value types; a []byte option also takes a string).
// Integers and durations have the meaning of the Options field: 0 is the
// default and, for HWMs and Linger, negative is unlimited or "none". It is
// safe to call concurrently with Send and Recv. A value of the wrong type
// or out of range, an option of another socket type (Option.forType), or
// an option that cannot change now, gives an error matching
// ErrInvalidOption and changes nothing.
func (s *Socket) SetOption(opt Option, v any) error {
	if opt == 0 || opt >= optEnd {
		return fmt.Errorf("%w: unknown option %d", ErrInvalidOption, uint8(opt))
	}
	d := optTable[opt]
	if !d.live {
		return fmt.Errorf("%w: %s cannot change once the socket exists", ErrInvalidOption, d.name)
	}
	if err := opt.forType(s.typ); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	n := s.opts
	if err := assign(d.field(&n), v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidOption, d.name, err)
	}
	// Check the result the way the options given at creation are checked:
	// through resolved, which maps 0 to the default (and so takes a zero
	// HWM set here as "the default" too) and negative HWMs to unlimited.
	chk := n
	if opt != OptSendHWM && chk.SendHWM == 0 {
		chk.SendHWM = -1 // unlimited already: keep it
	}
	if opt != OptRecvHWM && chk.RecvHWM == 0 {
		chk.RecvHWM = -1
	}
	if opt == OptHeartbeatInterval && s.opts.HeartbeatTimeout == s.opts.HeartbeatInterval {
		chk.HeartbeatTimeout = 0 // it was the interval's default: follow it
	}
	r, err := chk.resolved()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	if err := r.checkType(s.typ); err != nil {
		return err
	}
	if opt == OptConflate && r.Conflate != s.opts.Conflate && s.used {
		return fmt.Errorf("%w: Conflate cannot change after Bind or Connect", ErrInvalidOption)
	}
	// Only the option's own field is written (others, such as Events, are
	// read without the lock).
	copyField(d.field(&s.opts), d.field(&r))
	if opt == OptHeartbeatInterval {
		s.opts.HeartbeatTimeout = r.HeartbeatTimeout
	}
	s.lingerNs.Store(int64(s.opts.Linger))
	return nil
}

// copyField copies *src to *dst, two pointers to the same field.
func copyField(dst, src any) {
	switch d := dst.(type) {
	case *bool:
		*d = *src.(*bool)
	case *int:
		*d = *src.(*int)
	case *int64:
		*d = *src.(*int64)
	case *time.Duration:
		*d = *src.(*time.Duration)
	case *string:
		*d = *src.(*string)
	case *[]byte:
		*d = *src.(*[]byte)
	}
}

// GetOption returns the current value of an option, defaults resolved (an
// unlimited HWM is -1), with the type SetOption takes.
func (s *Socket) GetOption(opt Option) (any, error) {
	if opt == 0 || opt >= optEnd {
		return nil, fmt.Errorf("%w: unknown option %d", ErrInvalidOption, uint8(opt))
	}
	s.mu.Lock()
	o := s.opts
	s.mu.Unlock()
	switch p := optTable[opt].field(&o).(type) {
	case *bool:
		return *p, nil
	case *int:
		if (opt == OptSendHWM || opt == OptRecvHWM) && *p == 0 {
			return -1, nil
		}
		return *p, nil
	case *int64:
		return *p, nil
	case *time.Duration:
		return *p, nil
	case *string:
		return *p, nil
	case *[]byte:
		return append([]byte(nil), *p...), nil
	}
	panic("zmqx: option table")
}

// assign stores v in the field p points at, if the types agree.
func assign(p, v any) error {
	switch p := p.(type) {
	case *bool:
		if b, ok := v.(bool); ok {
			*p = b
			return nil
		}
	case *int:
		if i, ok := v.(int); ok {
			*p = i
			return nil
		}
	case *int64:
		switch i := v.(type) {
		case int64:
			*p = i
			return nil
		case int:
			*p = int64(i)
			return nil
		}
	case *time.Duration:
		if d, ok := v.(time.Duration); ok {
			*p = d
			return nil
		}
	case *string:
		if str, ok := v.(string); ok {
			*p = str
			return nil
		}
	case *[]byte:
		switch b := v.(type) {
		case []byte:
			*p = append([]byte(nil), b...)
			return nil
		case string:
			*p = []byte(b)
			return nil
		}
	}
	return fmt.Errorf("want %s, got %T", kind(p), v)
}

func kind(p any) string {
	switch p.(type) {
	case *bool:
		return "bool"
	case *int:
		return "int"
	case *int64:
		return "int64"
	case *time.Duration:
		return "time.Duration"
	case *string:
		return "string"
	}
	return "[]byte"
}
