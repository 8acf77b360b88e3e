#!/usr/bin/env bash
# Prepares cluster/compose-data/ for `docker compose -f cluster/docker-compose.yml up`:
# identities (0600) and configs for N oracles, the committee file with the containers' addresses,
# and the local validator's program id. Run once from the repository root (Node ≥ 20, npm install
# done). Real deployments do the same per operator: each runs keygen + member-info on their own
# host and sends only the member entry (public keys, addresses) to whoever assembles the committee.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
OUT=cluster/compose-data
mkdir -p "$OUT"
node bin/validator.js program-id --dir "$OUT/validator" > "$OUT/program-id"
PROGRAM_ID=$(cat "$OUT/program-id")
# the committee authority: the on-chain committee's address is derived from its key (0600 key file)
AUTHORITY=$(node bin/chain.js authority --key "$OUT/authority.json")
members=()
for i in $(seq 1 "$N"); do
  d="$OUT/oracle-$i"
  mkdir -p "$d"
  [ -f "$d/oracle-key.json" ] || node bin/oracle.js keygen --out "$d/oracle-key.json" >/dev/null
  node bin/oracle.js init-config --data-dir /var/lib/splitup --host 0.0.0.0 --port 8080 \
    --committee /etc/splitup/committee.json --rpc http://validator:8899 --program-id "$PROGRAM_ID" --authority "$AUTHORITY" --out "$d/oracle.json"
  # member-info reads the key through a config whose paths resolve on this host
  node bin/oracle.js init-config --data-dir "$(cd "$d" && pwd)" --out "$d/host.json"
  node bin/oracle.js member-info --config "$d/host.json" --name "oracle-$i" \
    --p2p-addr "/dns4/oracle-$i/tcp/9000" --http-url "http://oracle-$i:8080" > "$d/member.json"
  rm "$d/host.json"
  members+=("$d/member.json")
done
node bin/oracle.js committee-init --members "$(IFS=,; echo "${members[*]}")" --epoch-ms 30000 --out "$OUT/committee.json"
echo "prepared $N oracles in $OUT (program id $PROGRAM_ID); next: docker compose -f cluster/docker-compose.yml up"
