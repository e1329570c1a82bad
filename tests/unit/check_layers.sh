#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The layers of src/: base uses no other module; vhost knows nothing of
# AF_XDP, xsk nothing of guests; fw (the firewall) judges frames with base
# only; dp joins them; only ctl reads the config.
# An include in a file of src/M/ that names another module ("N/...",
# <N/...>, or a relative path into src/N/) must name one that M may use.
# One TAP test per module, and one that every module under src/ has a rule
# here; exits non-zero on a violation. tests/run.sh runs it with the unit
# suite.
#
#   tests/unit/check_layers.sh [TREE]       (default: this checkout)
set -uo pipefail

top=$(cd "${1:-$(dirname "$0")/../..}" && pwd -P) || exit 2
src=$top/src

# module → the other modules it may include
order=(base vhost xsk fw dp ctl)
declare -A may=(
	[base]=""
	[vhost]="base"
	[xsk]="base"
	[fw]="base"
	[dp]="base vhost xsk fw"
	[ctl]="base vhost xsk dp fw"
)

modules=()
for d in "$src"/*/; do
	[ -d "$d" ] && modules+=("$(basename "$d")")
done

is_module() {
	[[ " ${modules[*]} " == *" $1 "* ]]
}

# violations MOD: "FILE:LINE: #include ..." for each include of another
# module that MOD may not use
violations() {
	local mod=$1 f num line inc dep target

	while IFS=: read -r f num line; do
		inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]*)[">].*/\1/' \
			<<<"$line")
		case $inc in
		./* | ../*)
			target=$(realpath -m "$(dirname "$f")/$inc")
			[[ $target == "$src"/*/* ]] || continue
			dep=${target#"$src"/}
			dep=${dep%%/*}
			;;
		*/*) dep=${inc%%/*} ;;
		*) continue ;; # beside the file, or not a module
		esac
		is_module "$dep" || continue
		[[ $dep == "$mod" || " ${may[$mod]} " == *" $dep "* ]] && continue
		echo "${f#"$top"/}:$num: $line"
	done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' \
		--include='*.c' --include='*.h' "$src/$mod" | sort -t: -k1,1 -k2,2n)
}

n=0
failed=0
echo "1..$((${#order[@]} + 1))"
for mod in "${order[@]}"; do
	n=$((n + 1))
	if [ -n "${may[$mod]}" ]; then
		what="src/$mod includes no module but ${may[$mod]// /, }"
	else
		what="src/$mod includes no other module"
	fi
	if [ ! -d "$src/$mod" ]; then
		echo "ok $n - $what # skip src/$mod does not exist"
		continue
	fi
	out=$(violations "$mod")
	if [ -z "$out" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/#   /' <<<"$out"
		failed=1
	fi
done

n=$((n + 1))
unknown=()
for m in "${modules[@]}"; do
	[[ -v may[$m] ]] || unknown+=("src/$m")
done
if [ ${#unknown[@]} -eq 0 ]; then
	echo "ok $n - every module under src/ has a layering rule"
else
	echo "not ok $n - every module under src/ has a layering rule"
	echo "#   no rule in tests/unit/check_layers.sh for: ${unknown[*]}"
	failed=1
fi
exit $failed
