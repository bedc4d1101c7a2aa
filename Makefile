# The two commands a newcomer needs. Both install what they need on a fresh machine.
.PHONY: demo test bench

demo:  ## simulated fleet: audit report and a gate decision
	hacking/demo.sh

bench:  ## benchmarks (not tests): ratios measured side by side, see docs/benchmarks.md
	hacking/bench.sh

test:  ## every test, on the oldest and the newest ansible-core the collection supports
	hacking/test.sh
