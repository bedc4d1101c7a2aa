# The two commands a newcomer needs. Both install what they need on a fresh machine.
.PHONY: demo test bench

demo:  ## simulated fleet: audit report and a gate decision
	hacking/demo.sh

bench:  ## benchmarks (not tests): ratios measured side by side, see docs/benchmarks.md
	hacking/bench.sh

test:  ## every test: full suite on the oldest and newest ansible-core supported, units and the filters on those between
	hacking/test.sh
