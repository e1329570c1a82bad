#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0-only
# A strict check of Prometheus' text exposition format (0.0.4) for the
# metrics tests: every line is a "# TYPE", "# HELP" or a sample; names and
# labels well-formed, values numbers; a family's TYPE before its samples,
# given once, the family's samples together; counters end in _total; no
# series twice. Prints each problem as "line N: ..." and exits 1 if any.
#
#   curl -s URL | awk -f promcheck.awk
function problem(msg) { printf "line %d: %s: %s\n", NR, msg, $0; bad = 1 }
function family(name) {
	# a counter's samples are NAME (NAME_total in our naming); histogram
	# and summary suffixes are not used by xvs
	return name
}
BEGIN { bad = 0; cur = "" }
/^# TYPE / {
	if (NF != 4) { problem("TYPE takes a name and a type"); next }
	if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) problem("bad metric name")
	if ($4 !~ /^(counter|gauge|untyped|histogram|summary)$/) problem("bad type")
	if ($3 in typed) problem("second TYPE for " $3)
	if ($3 in sampled) problem("TYPE after samples of " $3)
	typed[$3] = $4
	if ($4 == "counter" && $3 !~ /_total$/) problem("a counter's name must end in _total")
	next
}
/^# HELP / { if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) problem("bad metric name"); next }
/^#/ { next } # comments are allowed
/^$/ { problem("empty line"); next }
{
	line = $0
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { problem("no metric name"); next }
	name = substr(line, 1, RLENGTH)
	rest = substr(line, RLENGTH + 1)
	labels = ""
	if (substr(rest, 1, 1) == "{") {
		rest = substr(rest, 2)
		while (substr(rest, 1, 1) != "}") {
			if (!match(rest, /^[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"/)) {
				problem("bad label"); next
			}
			lab = substr(rest, 1, RLENGTH)
			split(lab, kv, "=")
			if ((name SUBSEP kv[1]) in seenlabel) { problem("label " kv[1] " twice"); next }
			seenlabel[name SUBSEP kv[1]] = 1
			labels = labels "," lab
			rest = substr(rest, RLENGTH + 1)
			if (substr(rest, 1, 1) == ",") rest = substr(rest, 2)
			else if (substr(rest, 1, 1) != "}") { problem("labels not closed"); next }
		}
		rest = substr(rest, 2)
		delete seenlabel
	}
	if (rest !~ /^ ([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]Inf)( -?[0-9]+)?$/) {
		problem("bad value"); next
	}
	f = family(name)
	if (!(f in typed)) problem("no TYPE for " f)
	if (f != cur && (f in sampled)) problem("samples of " f " not together")
	cur = f
	sampled[f] = 1
	if ((name labels) in series) problem("series given twice")
	series[name labels] = 1
	n++
}
END {
	if (!n) { print "no samples at all"; bad = 1 }
	exit bad
}
