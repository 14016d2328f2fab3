# stats.awk: functions the bench scripts' awk programs share (loaded
# before them with a first -f).

# sort_(a, n): sorts a[1..n] in place, as numbers.
function sort_(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}

# median(a, n): the median of the sorted a[1..n].
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
