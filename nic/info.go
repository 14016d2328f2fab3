package nic

// DriverInfo is what ETHTOOL_GDRVINFO reports.
type DriverInfo struct {
	Driver, Version, Firmware, Bus string
}

// Channels is what ETHTOOL_GCHANNELS reports: queue counts in use and the
// driver's maxima.
type Channels struct {
	MaxRx, MaxTx, MaxOther, MaxCombined uint32
	Rx, Tx, Other, Combined             uint32
}
