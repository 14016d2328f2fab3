package netns

import "errors"

// ErrNotSupported is returned where network namespaces do not exist.
var ErrNotSupported = errors.New("netns: network namespaces are not supported on this platform")
