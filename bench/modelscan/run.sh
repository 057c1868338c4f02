#!/usr/bin/env bash
# Model-scan speed and memory: poisonguard model scan on one core against
# a Python baseline that does what picklescan does (genops_baseline.py),
# on an ~800 MB pickle, an ~800 MB torch.save ZIP and an ~800 MB
# safetensors file (header only). Inputs are generated once into DIR
# (default /tmp/pg-modelscan-bench) by gen_big.py; each command runs on a
# warm page cache, best of RUNS, and /usr/bin/time reports its peak RSS.
# The scan skips tensor payloads with Seek; the "no Seek" row (main.go in
# this folder) reads every byte through the pickle machine's fixed
# buffer instead, the streaming floor for inputs that cannot seek.
#
#   bash bench/modelscan/run.sh [DIR] [MB]
#
# Needs Debian's python3-numpy, python3-torch and time.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/pg-modelscan-bench}
mb=${2:-800}
runs=${RUNS:-3}
mkdir -p "$dir"
[ -f "$dir/big.safetensors" ] || /usr/bin/python3 bench/modelscan/gen_big.py "$dir" "$mb"
go build -o "$dir/poisonguard" ./cmd/poisonguard
go build -o "$dir/stream" ./bench/modelscan

# best CMD...: best wall seconds (process start to exit, /usr/bin/time
# included) and the RSS of that run, as "secs kb".
best() {
	local bs="" bk=""
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f "%M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || true
		t1=$(date +%s%N)
		s=$(awk "BEGIN{printf \"%.4f\", ($t1-$t0)/1e9}")
		k=$(tail -1 "$dir/time.txt")
		if [ -z "$bs" ] || awk "BEGIN{exit !($s < $bs)}"; then bs=$s bk=$k; fi
	done
	echo "$bs $bk"
}

printf '| input | size MB | tool | seconds | MB/s | peak RSS MB |\n|---|---:|---|---:|---:|---:|\n'
for f in big.pkl big.pt big.safetensors; do
	path="$dir/$f"
	cat "$path" >/dev/null
	size=$(stat -c %s "$path")
	smb=$(awk "BEGIN{printf \"%.0f\", $size/1e6}")
	read -r s k < <(best env GOMAXPROCS=1 "$dir/poisonguard" model scan --json "$path")
	printf '| %s | %s | poisonguard model scan (GOMAXPROCS=1) | %s | %.0f | %.0f |\n' "$f" "$smb" "$s" \
		"$(awk "BEGIN{print $size/1e6/($s>0?$s:0.01)}")" "$(awk "BEGIN{print $k/1024}")"
	if [ "$f" = big.pkl ]; then
		read -r s k < <(best env GOMAXPROCS=1 "$dir/stream" "$path")
		printf '| %s | %s | pickle machine reading every byte, no Seek (GOMAXPROCS=1) | %s | %.0f | %.0f |\n' "$f" "$smb" "$s" \
			"$(awk "BEGIN{print $size/1e6/($s>0?$s:0.01)}")" "$(awk "BEGIN{print $k/1024}")"
		read -r s k < <(best /usr/bin/python3 bench/modelscan/genops_baseline.py "$path")
		printf '| %s | %s | Python genops baseline (picklescan-like) | %s | %.0f | %.0f |\n' "$f" "$smb" "$s" \
			"$(awk "BEGIN{print $size/1e6/$s}")" "$(awk "BEGIN{print $k/1024}")"
	fi
done
