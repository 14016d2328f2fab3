# ratios.awk: zmqx's figures over the floor's of the same round, for
# bench/suite.sh, bench/xdp.sh and bench/lat_chunks.sh, run after
# bench/stats.awk ("awk -f bench/stats.awk -f bench/ratios.awk"). Each input line is one round: the p50 of
# zmqx and of the floor, and optionally their p99s ("p50 floor-p50 [p99
# floor-p99]"). Prints, as Markdown table cells separated by " | ": the p50
# ratios round by round, their median, the distribution-free confidence
# interval of that median (sorted ratios r(j) and r(n+1-j) with the largest j
# whose coverage, 1 - 2 P(Bin(n, 1/2) < j), is still at least 95 %, the
# coverage given; no interval below 6 rounds), and with p99 columns the p99
# ratios' median.

# interval(a, n): "lo–hi (c %)" for the sorted a[1..n], or "n/a". The
# interval [a[j], a[n+1-j]] covers the median with probability
# 1 - 2 P(Bin(n, 1/2) <= j - 1).
function interval(a, n,   k, p, cdf, j, cov) {
	p = 0.5 ^ n # P(Bin = 0)
	cdf = 0
	for (k = 0; k < n / 2; k++) {
		cdf += p # P(Bin <= k)
		if (1 - 2 * cdf < 0.95) break
		j = k + 1
		cov = 1 - 2 * cdf
		p = p * (n - k) / (k + 1)
	}
	if (!j) return "n/a"
	return sprintf("%.3f–%.3f (%.0f %%)", a[j], a[n + 1 - j], 100 * cov)
}

{
	n++
	r[n] = $1 / $2
	s = s (n > 1 ? " " : "") sprintf("%.3f", r[n])
	if (NF >= 4) q[n] = $3 / $4
}

END {
	if (n == 0) exit
	sort_(r, n)
	out = sprintf("%s | %.3f | %s", s, median(r, n), interval(r, n))
	if (length(q)) {
		sort_(q, n)
		out = out sprintf(" | %.3f", median(q, n))
	}
	print out
}
