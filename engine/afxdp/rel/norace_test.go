//go:build !race

package rel

const raceEnabled = false
