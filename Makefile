# The two commands a newcomer needs. Both install what they need on a fresh machine.
.PHONY: demo test

demo:  ## simulated fleet: audit report and a gate decision
	hacking/demo.sh

test:  ## every test, on the oldest and the newest ansible-core the collection supports
	hacking/test.sh
