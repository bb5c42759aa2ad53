# runner-fault.sh: how a test of the fault build (tests/integration/
# biso-recover-faults) tells that the fault killed a restore.  The work is
# the detached runner's: the fault kills it, its client says so (exit 1)
# and names the run log, where the runner's stderr (the fault line) went.
# runner_fault_rc LOG: echoes 137 (the exit of a run killed in-process,
# with the run log appended to LOG) when that happened, else $rc.
runner_fault_rc() {
	local runlog
	runlog=$(sed -n 's/^biso-recover: the runner (pid [0-9]*) ended without finishing the run; its log: //p' "$1")
	if [ "$rc" = 1 ] && [ -n "$runlog" ] && grep -q "^fault: SIGKILL at " "$runlog"; then
		cat "$runlog" >> "$1"
		echo 137
	else
		echo "$rc"
	fi
}
