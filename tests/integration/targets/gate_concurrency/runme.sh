#!/usr/bin/env bash
# A gate over 50 simulated hosts with forks=25, run three times, gives the same decision each time.
# shellcheck source=tests/integration/targets/setup_mdev_sim/sim.sh
. ../setup_mdev_sim/sim.sh
mkdir -p "$SIM_DIR"
python make_fleet.py "$SIM_DIR/fleet50.yml"
sim_up "$SIM_DIR/fleet50.yml"
for run in 1 2 3; do
  ansible-playbook -i "$SIM_DIR/inventory.yml" --forks 25 -e "out=$SIM_DIR/decision-$run.json" gate.yml "$@"
done
cmp "$SIM_DIR/decision-1.json" "$SIM_DIR/decision-2.json"
cmp "$SIM_DIR/decision-1.json" "$SIM_DIR/decision-3.json"
python - "$SIM_DIR/decision-1.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
chosen = [r for r in report if r["selected"]]
assert len(report) == 49 and chosen, report
assert all(r["verdict"] == "compatible" and r["evidence"] != "unknown" for r in chosen)
print("identical decisions over 3 runs: %d candidates, %d selected, first %s" % (len(report), len(chosen), chosen[0]["host"]))
PY
